package org.layered.fiji;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class MessagesTest {
    @Test
    void commandLineAdviceBecomesTheMenuCommand() {
        String m = Messages.forImageJ("model folder incomplete: transformer/ missing; complete it with 'layered fetch "
                + "--model Qwen/Qwen-Image-Layered --revision abc' (about 40 GB)");
        assertEquals("model folder incomplete: transformer/ missing; complete it with Plugins > Layered > Download "
                + "Model... (about 40 GB)", m);
        m = Messages.forImageJ("its weights (vae/) are probably damaged; 'layered info --model /m --verify true' "
                + "names the tensors that hold NaN or infinity");
        assertTrue(m.endsWith("download the model again with Plugins > Layered > Download Model... (it checks every "
                + "file and fetches the damaged ones)"), m);
        m = Messages.forImageJ("CUDA requested but this libtorch is a CPU build. Set up a CUDA engine with Plugins > "
                + "Layered > Set Up GPU... or 'layered engine install', or choose --device cpu");
        assertTrue(m.endsWith("Set up a CUDA engine with Plugins > Layered > Set Up GPU..., or choose device=cpu"),
                m);
        m = Messages.forImageJ("remembered in /x ('layered engine use' or Set Up GPU...)");
        assertEquals("remembered in /x (Set Up GPU...)", m);
        for (String s : new String[] {m, Messages.forImageJ("give a prompt (or --inputs with prompt embeddings)")}) {
            assertFalse(s.contains("--") || s.contains("'layered"), s);
        }
    }

    @Test
    void dialogMessagesAreWrappedAtSpacesAndLongPathsAfterSeparators() {
        String path = "/very/long/folder/name/that/goes/on/and/on/and/on/for/quite/a/while/before/it/ends/model";
        String text = "the download of Qwen/Qwen-Image-Layered was cancelled: 12.3 GB of 57.7 GB are kept in "
                + path + " and running Download Model... again resumes it";
        String wrapped = Messages.forDialog(text);
        for (String line : wrapped.split("\n")) {
            assertTrue(line.length() <= Messages.DIALOG_WIDTH, line);
        }
        assertTrue(wrapped.split("\n").length >= 3, wrapped);
        assertEquals(text.replace(" ", ""), wrapped.replace("\n", "").replace(" ", ""),
                "nothing lost but spaces and breaks");
        assertEquals("short", Messages.forDialog("short"));
        assertEquals("a\nb", Messages.wrap("a\nb", 10), "own line breaks kept");
    }
}
