package org.layered.model.transformer;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Layer3D RoPE tables and rotation against the helpers goldens (not only through the whole forward). */
class Layer3DRopeTest {
    private static Golden golden;
    private static JsonObject json;

    @BeforeAll
    static void open() throws IOException {
        golden = Golden.helpers();
        json = JsonParser.parseString(Files.readString(Golden.resource("helpers/helpers_golden.json")))
                .getAsJsonObject().getAsJsonObject("rope");
    }

    @AfterAll
    static void close() {
        golden.close();
    }

    private static int[] ints(com.google.gson.JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    private static List<FrameShape> shapes(JsonObject layout) {
        List<FrameShape> out = new ArrayList<>();
        for (var e : layout.getAsJsonArray("video_fhw")) {
            int[] fhw = ints(e.getAsJsonArray());
            out.add(new FrameShape(fhw[0], fhw[1], fhw[2]));
        }
        return out;
    }

    private static long[] flatten(long[][] rows) {
        long[] out = new long[rows.length * 3];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, 3 * i, 3);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny_case1", "tiny_case2", "realdims_odd", "many_layers"})
    void tablesAndPositionsMatchUpstream(String layoutName) {
        JsonObject layout = json.getAsJsonObject(layoutName);
        int[] axes = ints(layout.getAsJsonArray("axes_dims_rope"));
        int textLen = layout.get("max_txt_seq_len").getAsInt();
        List<FrameShape> shapes = shapes(layout);
        String k = "rope." + layoutName + ".";

        assertEquals(layout.get("txt_offset").getAsInt(), Layer3DRope.textOffset(shapes), "text offset");
        assertArrayEquals(golden.longs(k + "img_pos"), flatten(Layer3DRope.imagePositions(shapes)), "image positions");
        assertArrayEquals(golden.longs(k + "txt_pos"), flatten(Layer3DRope.textPositions(shapes, textLen)),
                "text positions");

        Layer3DRope rope = new Layer3DRope(axes);
        Layer3DRope.Tables t = rope.tables(shapes, textLen);
        assertArrayEquals(golden.shape(k + "img_cos"), new long[] {t.image().rows(), t.image().pairs()});
        assertArrayEquals(golden.shape(k + "txt_cos"), new long[] {t.text().rows(), t.text().pairs()});
        double[] err = {
            Golden.maxAbsDiff(golden.floats(k + "img_cos"), t.image().cos()),
            Golden.maxAbsDiff(golden.floats(k + "img_sin"), t.image().sin()),
            Golden.maxAbsDiff(golden.floats(k + "txt_cos"), t.text().cos()),
            Golden.maxAbsDiff(golden.floats(k + "txt_sin"), t.text().sin())};
        System.out.printf("RoPE %-13s max abs err img cos %.3g sin %.3g, txt cos %.3g sin %.3g%n", layoutName,
                err[0], err[1], err[2], err[3]);
        for (double e : err) {
            assertTrue(e <= 1e-6, layoutName + ": RoPE table error " + e);
        }
    }

    @Test
    void rotationMatchesApplyRotaryEmbQwen() {
        JsonObject layout = json.getAsJsonObject("tiny_case1");
        List<FrameShape> shapes = shapes(layout);
        Layer3DRope rope = new Layer3DRope(ints(layout.getAsJsonArray("axes_dims_rope")));
        try (TensorScope s = TensorScope.open()) {
            Tensor factors = rope.tables(shapes, 6).image().tensor(org.layered.engine.ComputeDevice.CPU);
            Tensor out = Layer3DRope.rotate(golden.tensor("apply_rope.x"), factors);
            Golden.assertShape(golden.shape("apply_rope.out"), out);
            double err = Golden.maxAbsDiff(golden.floats("apply_rope.out"), out.toFloats());
            System.out.printf("RoPE rotation max abs err %.3g%n", err);
            assertTrue(err <= 1e-6, "rotation error " + err);
        }
    }

    @Test
    void layeredLayoutAndOddSizes() {
        List<FrameShape> shapes = FrameShape.layered(4, 40, 40);
        assertEquals(6, shapes.size());
        assertEquals(20, Layer3DRope.textOffset(shapes)); // 640 px, N=4: max(20, 5)
        assertEquals(9600, FrameShape.tokens(shapes));
        assertEquals(8, Layer3DRope.textOffset(FrameShape.layered(7, 4, 4))); // offset from the frame count
        long[][] odd = Layer3DRope.imagePositions(FrameShape.layered(1, 3, 5));
        assertArrayEquals(new long[] {0, -2, -3}, odd[0]); // odd sizes: one more negative index
        assertArrayEquals(new long[] {0, 0, 1}, odd[14]);
        assertArrayEquals(new long[] {-1, -2, -3}, odd[30]); // condition frame
        assertThrows(IllegalArgumentException.class,
                () -> Layer3DRope.imagePositions(List.of(new FrameShape(1, 2, 2), new FrameShape(2, 2, 2))));
    }
}
