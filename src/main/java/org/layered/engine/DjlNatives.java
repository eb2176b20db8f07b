package org.layered.engine;

import ai.djl.util.Utils;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

/**
 * What DJL 0.36's PyTorch engine expects of a native libtorch, read from its own jars: the libtorch version its JNI
 * was built for, the DJL version that names the JNI file, the platform classifier, where DJL keeps extracted
 * libraries, and which JNI flavours the {@code pytorch-jni} jar carries (the others DJL would download).
 */
public final class DjlNatives {
    private DjlNatives() {}

    /** The libtorch version DJL's JNI is built against, e.g. {@code 2.7.1}. */
    public static String pytorchVersion() {
        return engineProperties().getProperty("pytorch_version", "2.7.1");
    }

    /** DJL's version, e.g. {@code 0.36.0} (the JNI library is cached as {@code <djl>-libdjl_torch.so}). */
    public static String djlVersion() {
        return engineProperties().getProperty("djl_version", "0.36.0");
    }

    /** DJL's platform name, e.g. {@code linux-x86_64}, {@code win-x86_64}, {@code osx-aarch64}. */
    public static String classifier() {
        String os = System.getProperty("os.name", "");
        String prefix = os.startsWith("Win") ? "win" : os.startsWith("Mac") ? "osx" : "linux";
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return prefix + "-" + (arch.equals("amd64") ? "x86_64" : arch);
    }

    /** The file name of libtorch's main library here ({@code libtorch.so}, {@code torch.dll}, ...). */
    public static String torchLibrary() {
        return System.mapLibraryName("torch");
    }

    /** The file name of DJL's JNI library here ({@code libdjl_torch.so}, ...). */
    public static String jniLibrary() {
        return System.mapLibraryName("djl_torch");
    }

    /** The name DJL gives the JNI library in a libtorch folder or its cache: {@code 0.36.0-libdjl_torch.so}. */
    public static String cachedJniName() {
        return djlVersion() + "-" + jniLibrary();
    }

    /**
     * Whether the {@code pytorch-jni} jar on the class path carries DJL's JNI for libtorch {@code version} of
     * {@code flavor} on this platform (DJL extracts it from there; any other combination it downloads).
     */
    public static boolean bundledJni(String version, String flavor) {
        Properties p = resource("jnilib/pytorch.properties");
        String jni = p.getProperty("jni_version");
        return jni != null && jni.startsWith(version + "-" + djlVersion())
                && loader().getResource("jnilib/" + classifier() + "/" + flavor + "/" + jniLibrary()) != null;
    }

    /** The bundled native libtorch ({@code pytorch-native-cpu} jar) as {@code cpu 2.7.1-20250812}, or null. */
    public static String bundledNatives() {
        Properties p = resource("native/lib/pytorch.properties");
        String v = p.getProperty("version");
        return v == null ? null : p.getProperty("flavor", "?") + " " + v;
    }

    /** DJL's folder for extracted and downloaded PyTorch libraries ({@code ~/.djl.ai/pytorch}, DJL_CACHE_DIR). */
    public static Path cacheDir() {
        return Utils.getEngineCacheDir("pytorch");
    }

    private static Properties engineProperties() {
        return resource("pytorch-engine.properties");
    }

    private static Properties resource(String name) {
        Properties p = new Properties();
        try (InputStream in = loader().getResourceAsStream(name)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // absent: defaults apply
        }
        return p;
    }

    private static ClassLoader loader() {
        return DjlNatives.class.getClassLoader();
    }
}
