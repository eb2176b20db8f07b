// Layered: decompose one image into RGBA layers (Plugins > Layered > Decompose...).
//
// In Fiji or ImageJ: open an image, then run this macro (Plugins > Macros > Run...).
// Headless or from a script, give the image file and any Decompose options as the macro argument, e.g.
//   ImageJ -batch single.ijm "file=/data/cat.png output=/data/layers formats=png,tiff"
// Options in the argument come first, so they take precedence over the defaults written below.
// Every key is given: Fiji shows the command's dialog for any key a macro leaves out.

args = getArgument();
path = call("ij.Macro.getValue", args + " ", "file", "");
if (path != "")
    open(path);
if (nImages == 0)
    exit("Layered: open an image first, or pass file=/path/to/image as the macro argument");
source = getTitle();

defaults = "model=[] layers=4 resolution=640 steps=50 cfg=4 cfg_normalize=true seed=[] prompt=[] negative=[]"
    + " device=auto inputs=[] hyperstack=true layer_images=false original_size=false output=[] formats=png"
    + " max_layers=8 rois=false";
// model=[]: the default model from the model cache; seed=[]: random (recorded); prompt=[]: automatic caption;
// layers=auto keeps the layers that matter of max_layers; rois=true puts each layer's region in the ROI Manager
run("Decompose...", args + " " + defaults);

// The result is the active image: 8-bit, C = red, green, blue, alpha; Z = layers (Z=1 is the bottom layer).
result = getTitle();
if (result == source)
    exit("Layered: no result (see the Log for the reason)");
getDimensions(width, height, channels, slices, frames);
print("Layered: " + source + " -> " + result + ": " + slices + " layers of " + width + "x" + height
    + ", seed " + Property.get("Layered.seed"));
// One Results row per layer: coverage (alpha >= 128), mean alpha and the covered bounding box.
for (i = 0; i < nResults; i++)
    print("  layer " + getResult("Layer", i) + " (" + getResultString("Position", i) + "): coverage "
        + d2s(getResult("Coverage", i), 3) + ", box " + getResult("BX", i) + "," + getResult("BY", i)
        + " " + getResult("Width", i) + "x" + getResult("Height", i));
// With rois=true each layer's region (alpha >= 128) is in the ROI Manager as layer-1 (bottom) ... layer-N.
if (indexOf(args, "rois=true") >= 0)
    for (i = 0; i < RoiManager.size; i++)
        print("  ROI " + RoiManager.getName(i));
