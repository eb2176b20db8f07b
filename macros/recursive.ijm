// Layered: decompose one layer again (recursive decomposition, Plugins > Layered > Decompose Layer...).
//
// Run it on a layer hyperstack made by Plugins > Layered > Decompose... (C = red, green, blue, alpha;
// Z = layers): it decomposes the layer at the current Z position (or layer=k, 1 = bottom), transparency
// included, into sub-layers, shown as <title>-layer-k-layers. Saved (output=...), the result keeps the nesting:
// the hyperstack's layers with layer k a group of its sub-layers (PSD layer group, ORA nested stack).
// Headless, give the saved hyperstack (formats=tiff writes <output>/<name>/layers.tif), the layer and options:
//   ImageJ -batch recursive.ijm "stack=/data/layers/cat/layers.tif layer=2 layers=3"
// Options in the argument come first, so they take precedence over the defaults written below.

args = getArgument();
path = call("ij.Macro.getValue", args + " ", "stack", "");
if (path != "")
    open(path);
if (nImages == 0)
    exit("Layered: open a layer hyperstack first, or pass stack=/path/to/layers.tif as the macro argument");
Stack.getPosition(channel, slice, frame);
parent = getTitle();

defaults = "layer=" + slice + " model=[] layers=3 resolution=640 steps=50 cfg=4 cfg_normalize=true seed=[]"
    + " prompt=[] negative=[] device=auto inputs=[] hyperstack=true layer_images=false original_size=false"
    + " output=[] formats=png max_layers=8 rois=false";
run("Decompose Layer...", args + " " + defaults);

if (getTitle() == parent)
    exit("Layered: no result (see the Log for the reason)");
getDimensions(width, height, channels, subLayers, frames);
print("Layered: " + parent + " -> " + getTitle() + ": " + subLayers + " sub-layers");
