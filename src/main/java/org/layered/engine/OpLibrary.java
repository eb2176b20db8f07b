package org.layered.engine;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import org.layered.engine.torchscript.TorchScriptArchive;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The TorchScript op library: the ops DJL lacks (fused attention, group norm, ...) and every op that would abort
 * the JVM if DJL saw a bf16 dtype. Its source text is {@code ops.torchscript}; the archive is built in memory at
 * start-up by {@link TorchScriptArchive} and compiled by libtorch.
 */
final class OpLibrary {
    static final String RESOURCE = "/org/layered/engine/torchscript/ops.torchscript";

    private final PtNDManager manager;
    private final PtSymbolBlock module;

    private OpLibrary(PtNDManager manager, PtSymbolBlock module) {
        this.manager = manager;
        this.module = module;
    }

    static OpLibrary load() throws IOException {
        String source;
        try (InputStream in = OpLibrary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("op library source " + RESOURCE + " is missing from the jar");
            }
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        byte[] archive = TorchScriptArchive.build(source);
        PtNDManager manager = (PtNDManager) NDManager.newBaseManager();
        PtSymbolBlock block = JniUtils.loadModule(manager, new ByteArrayInputStream(archive), false, false);
        return new OpLibrary(manager, block);
    }

    /**
     * Calls method {@code name}; closes the argument IValues; the result tensor is attached to {@code into}.
     */
    PtNDArray tensor(PtNDManager into, String name, IValue... args) {
        try (IValue result = call(name, args)) {
            return result.toTensor(into);
        }
    }

    long integer(String name, IValue... args) {
        try (IValue result = call(name, args)) {
            return result.toLong();
        }
    }

    long[] integers(String name, IValue... args) {
        try (IValue result = call(name, args)) {
            return result.toLongArray();
        }
    }

    boolean bool(String name, IValue... args) {
        try (IValue result = call(name, args)) {
            return result.toBoolean();
        }
    }

    private IValue call(String name, IValue... args) {
        try {
            return IValueUtils.runMethod(module, name, args);
        } finally {
            for (IValue a : args) {
                a.close();
            }
        }
    }

    PtNDManager manager() {
        return manager;
    }
}
