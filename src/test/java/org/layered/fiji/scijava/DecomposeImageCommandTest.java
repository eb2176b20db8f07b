package org.layered.fiji.scijava;

import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.Img;
import net.imglib2.loops.LoopBuilder;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.view.Views;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layered.fiji.FijiFixtures;
import org.layered.image.TestPattern;
import org.layered.pipeline.ResolutionBucket;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The command scripts use with ImgLib2 images, in a plain SciJava context: an {@code Img} in, and the same picture
 * as a view with a non-zero minimum (a region of a bigger image, translated), with the same seed: the same layers
 * out, as one {@code Img<UnsignedByteType>} X, Y, C = 4, Z = layers.
 */
class DecomposeImageCommandTest {
    private static Context context;
    private static CommandService commands;

    @BeforeAll
    static void start() {
        context = new Context();
        commands = context.service(CommandService.class);
    }

    @AfterAll
    static void stop() {
        context.dispose();
    }

    private CommandModule run(RandomAccessibleInterval<?> image) throws Exception {
        return commands.run(DecomposeImageCommand.class, false, "image", image, "name", "pattern.png",
                "model", FijiFixtures.model().toFile(), "inputs", FijiFixtures.inputs().toFile(), "layers", 1,
                "steps", 1, "cfg", 1.0, "device", "cpu", "seed", "5").get();
    }

    @Test
    @SuppressWarnings("unchecked")
    void anImgAndAViewWithANonZeroMinimumGiveTheLayersAsOneImg() throws Exception {
        Img<UnsignedByteType> picture = FijiFixtures.xyc(TestPattern.rgba(90, 70));
        CommandModule m = run(picture);
        assertFalse(m.isCanceled(), m.getCancelReason());
        Img<UnsignedByteType> layers = (Img<UnsignedByteType>) m.getOutput("result");
        ResolutionBucket b = ResolutionBucket.forImage(640, 90, 70);
        assertArrayEquals(new long[] {b.width(), b.height(), 4, 1}, layers.dimensionsAsLongArray());
        assertEquals("5", m.getInput("seed"));

        // the picture inside a bigger canvas at (30, 20), cut out again as a view whose minimum is (-7, 1000)
        Img<UnsignedByteType> canvas = net.imglib2.img.array.ArrayImgs.unsignedBytes(200, 150, 4);
        LoopBuilder.setImages(picture, Views.interval(canvas, new long[] {30, 20, 0}, new long[] {119, 89, 3}))
                .forEachPixel((s, t) -> t.set(s));
        RandomAccessibleInterval<UnsignedByteType> view = Views.translate(Views.interval(canvas,
                new long[] {30, 20, 0}, new long[] {119, 89, 3}), -37, 980, 0);
        assertEquals(-7, view.min(0));
        CommandModule again = run(view);
        assertFalse(again.isCanceled(), again.getCancelReason());
        Img<UnsignedByteType> same = (Img<UnsignedByteType>) again.getOutput("result");
        assertArrayEquals(layers.dimensionsAsLongArray(), same.dimensionsAsLongArray());
        var a = layers.cursor();
        var c = same.cursor();
        while (a.hasNext()) {
            assertEquals(a.next().get(), c.next().get(), "same pixels in, same seed: same layers");
        }
    }

    @Test
    void scriptsFindItButTheMenuHasOneDecompose() {
        CommandInfo info = commands.getCommand(DecomposeImageCommand.class);
        assertNull(info.getMenuPath() == null || info.getMenuPath().isEmpty() ? null : info.getMenuPath());
        assertTrue(info.canRunHeadless());
        List<CommandInfo> decompose = commands.getCommands().stream().filter(c -> c.getMenuPath() != null
                && c.getMenuPath().getMenuString().equals("Plugins > Layered > Decompose...")).toList();
        assertEquals(1, decompose.size());
        assertEquals(DecomposeCommand.class.getName(), decompose.get(0).getClassName());
    }

    @Test
    void aLayoutItCannotTakeCancelsWithTheReason() throws Exception {
        CommandModule m = run(net.imglib2.img.array.ArrayImgs.unsignedBytes(8, 8, 2));
        assertTrue(m.isCanceled());
        assertTrue(m.getCancelReason().contains("Layered takes X,Y"), m.getCancelReason());
    }
}
