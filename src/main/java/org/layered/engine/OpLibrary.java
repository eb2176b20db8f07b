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
 * start-up by {@link TorchScriptArchive} and compiled by libtorch. Every linear layer in it goes through two methods,
 * {@code _mm} and {@code _mm_into}; the {@link LinearKernel#ONEDNN} variant of the library is the same source with
 * those two computed by oneDNN.
 */
final class OpLibrary implements AutoCloseable {
    static final String RESOURCE = "/org/layered/engine/torchscript/ops.torchscript";

    private final PtNDManager manager;
    private final PtSymbolBlock module;

    private OpLibrary(PtNDManager manager, PtSymbolBlock module) {
        this.manager = manager;
        this.module = module;
    }

    private static final String MM = "    return torch.linear(x, w, b)\n";
    private static final String MM_INTO = "    torch.linear(x, w, b, out=out)\n";
    private static final String ONEDNN_MM = "ops.mkldnn._linear_pointwise(x, w, b, \"none\", "
            + "annotate(List[Optional[number]], []), \"\")";

    static OpLibrary load() throws IOException {
        return load(LinearKernel.DEFAULT);
    }

    /** The library whose linear layers {@code kernel} computes. */
    static OpLibrary load(LinearKernel kernel) throws IOException {
        String source;
        try (InputStream in = OpLibrary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("op library source " + RESOURCE + " is missing from the jar");
            }
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        byte[] archive = TorchScriptArchive.build(kernel == LinearKernel.ONEDNN ? oneDnnVariant(source) : source);
        PtNDManager manager = (PtNDManager) NDManager.newBaseManager();
        PtSymbolBlock block = JniUtils.loadModule(manager, new ByteArrayInputStream(archive), false, false);
        return new OpLibrary(manager, block);
    }

    /** {@code source} with {@code _mm} and {@code _mm_into} computed by oneDNN. */
    static String oneDnnVariant(String source) {
        if (source.indexOf(MM) < 0 || source.indexOf(MM) != source.lastIndexOf(MM) || source.indexOf(MM_INTO) < 0
                || source.indexOf(MM_INTO) != source.lastIndexOf(MM_INTO)) {
            throw new IllegalStateException("the op library's _mm/_mm_into bodies changed; update OpLibrary");
        }
        return source.replace(MM, "    return " + ONEDNN_MM + "\n")
                .replace(MM_INTO, "    torch.copy_(out, " + ONEDNN_MM + ")\n");
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

    /** Frees the compiled module (the engine's libraries live as long as the process; tests load their own). */
    @Override
    public void close() {
        module.close();
        manager.close();
    }
}
