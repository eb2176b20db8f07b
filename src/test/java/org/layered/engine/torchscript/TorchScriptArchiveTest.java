package org.layered.engine.torchscript;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.*;

class TorchScriptArchiveTest {
    private static final String SOURCE = """
            class Demo(Module):
              __parameters__ = []
              __buffers__ = []
              training : bool
              def forward(self: __torch__.Demo,
                x: Tensor) -> Tensor:
                return x
            """;

    private static Map<String, byte[]> entries(byte[] zip) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                assertEquals(ZipEntry.STORED, e.getMethod(), e.getName() + " must be stored, not deflated");
                out.put(e.getName(), in.readAllBytes());
            }
        }
        return out;
    }

    @Test
    void archiveHasTheRecordsLibtorchReads() throws IOException {
        Map<String, byte[]> e = entries(TorchScriptArchive.build(SOURCE));
        assertEquals(java.util.List.of("archive/data.pkl", "archive/code/__torch__.py", "archive/constants.pkl",
                "archive/version"), java.util.List.copyOf(e.keySet()));
        assertEquals(SOURCE, new String(e.get("archive/code/__torch__.py"), StandardCharsets.UTF_8));
        assertEquals(TorchScriptArchive.FORMAT_VERSION + "\n",
                new String(e.get("archive/version"), StandardCharsets.US_ASCII));
        // constants.pkl: PROTO 2, EMPTY_TUPLE, STOP - byte for byte what torch.jit.save writes
        assertArrayEquals(new byte[] {(byte) 0x80, 2, ')', '.'}, e.get("archive/constants.pkl"));
    }

    @Test
    void dataPickleIsTheModuleInstanceWithItsTrainingFlag() throws IOException {
        byte[] pkl = entries(TorchScriptArchive.build(SOURCE)).get("archive/data.pkl");
        String text = new String(pkl, StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("\u0080\u0002c__torch__\nDemo\n)\u0081}("), text);
        assertTrue(text.contains("X\u0008\u0000\u0000\u0000training\u0089"), "training=False as BINUNICODE + NEWFALSE");
        assertTrue(text.endsWith("ub."), "SETITEMS, BUILD, STOP");
    }

    @Test
    void sourceWithoutExactlyOneModuleClassIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> TorchScriptArchive.build("def f(x: Tensor) -> Tensor:\n"));
        assertThrows(IllegalArgumentException.class, () -> TorchScriptArchive.build(SOURCE + SOURCE));
    }
}
