package org.layered.weights.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A diffusers/transformers {@code config.json} with typed getters whose errors name the file and the key.
 * Model code turns it into its own small config record (e.g. the VAE's), validating there what it needs.
 */
public final class JsonConfig {
    private final Path file;
    private final JsonObject json;

    private JsonConfig(Path file, JsonObject json) {
        this.file = file;
        this.json = json;
    }

    /** Reads and parses {@code file}. */
    public static JsonConfig read(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": config file not found");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read config (" + e.getMessage() + ")", e);
        }
        try {
            JsonElement e = JsonParser.parseString(text);
            if (!e.isJsonObject()) {
                throw new ConfigException(file + ": config is not a JSON object");
            }
            return new JsonConfig(file, e.getAsJsonObject());
        } catch (JsonParseException e) {
            throw new ConfigException(file + ": invalid JSON (" + e.getMessage() + ")", e);
        }
    }

    /** A config over an in-memory object (tests, nested configs such as a text encoder's vision_config). */
    public static JsonConfig of(Path file, JsonObject json) {
        return new JsonConfig(file, json);
    }

    public Path file() {
        return file;
    }

    public boolean has(String key) {
        return json.has(key) && !json.get(key).isJsonNull();
    }

    private JsonElement need(String key) throws ConfigException {
        if (!has(key)) {
            throw new ConfigException(file + ": missing key '" + key + "'");
        }
        return json.get(key);
    }

    private ConfigException wrongType(String key, String expected) {
        return new ConfigException(file + ": key '" + key + "' must be " + expected + ", found " + json.get(key));
    }

    public String string(String key) throws ConfigException {
        JsonElement e = need(key);
        if (!e.isJsonPrimitive()) {
            throw wrongType(key, "a string");
        }
        return e.getAsString();
    }

    public int integer(String key) throws ConfigException {
        JsonElement e = need(key);
        try {
            double d = e.getAsDouble();
            if (d != Math.rint(d)) {
                throw wrongType(key, "an integer");
            }
            return Math.toIntExact((long) d);
        } catch (RuntimeException ex) {
            throw wrongType(key, "an integer");
        }
    }

    public int integer(String key, int fallback) throws ConfigException {
        return has(key) ? integer(key) : fallback;
    }

    public double number(String key) throws ConfigException {
        JsonElement e = need(key);
        try {
            return e.getAsDouble();
        } catch (RuntimeException ex) {
            throw wrongType(key, "a number");
        }
    }

    public double number(String key, double fallback) throws ConfigException {
        return has(key) ? number(key) : fallback;
    }

    public boolean bool(String key, boolean fallback) throws ConfigException {
        if (!has(key)) {
            return fallback;
        }
        JsonElement e = json.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw wrongType(key, "true or false");
        }
        return e.getAsBoolean();
    }

    public String string(String key, String fallback) throws ConfigException {
        return has(key) ? string(key) : fallback;
    }

    private JsonArray array(String key) throws ConfigException {
        JsonElement e = need(key);
        if (!e.isJsonArray()) {
            throw wrongType(key, "a list");
        }
        return e.getAsJsonArray();
    }

    public int[] integers(String key) throws ConfigException {
        JsonArray a = array(key);
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            try {
                out[i] = a.get(i).getAsInt();
            } catch (RuntimeException ex) {
                throw wrongType(key, "a list of integers");
            }
        }
        return out;
    }

    public double[] numbers(String key) throws ConfigException {
        JsonArray a = array(key);
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            try {
                out[i] = a.get(i).getAsDouble();
            } catch (RuntimeException ex) {
                throw wrongType(key, "a list of numbers");
            }
        }
        return out;
    }

    public boolean[] booleans(String key) throws ConfigException {
        JsonArray a = array(key);
        boolean[] out = new boolean[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement e = a.get(i);
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
                throw wrongType(key, "a list of true/false");
            }
            out[i] = e.getAsBoolean();
        }
        return out;
    }

    public List<String> strings(String key) throws ConfigException {
        JsonArray a = array(key);
        List<String> out = new ArrayList<>();
        for (JsonElement e : a) {
            out.add(e.isJsonNull() ? null : e.getAsString());
        }
        return out;
    }

    /** A nested object as its own config (same file, for messages). */
    public JsonConfig object(String key) throws ConfigException {
        JsonElement e = need(key);
        if (!e.isJsonObject()) {
            throw wrongType(key, "an object");
        }
        return new JsonConfig(file, e.getAsJsonObject());
    }

    /** The raw JSON (read-only use). */
    public JsonObject json() {
        return json.deepCopy();
    }
}
