// Layered: decompose one layer again (recursive decomposition).
//
// Run it on a layer hyperstack made by Plugins > Layered > Decompose (C = red, green, blue, alpha;
// Z = layers): it decomposes the layer at the current Z position, transparency included, into sub-layers.
// Headless, give the saved hyperstack (formats=tiff writes <output>/<name>/layers.tif), the layer and options:
//   ImageJ -batch recursive.ijm "stack=/data/layers/cat/layers.tif layer=2 layers=3"
// Options in the argument come first, so they take precedence over the defaults written below.

args = getArgument();
path = call("ij.Macro.getValue", args + " ", "stack", "");
if (path != "")
    open(path);
if (nImages == 0)
    exit("Layered: open a layer hyperstack first, or pass stack=/path/to/layers.tif as the macro argument");
getDimensions(width, height, channels, slices, frames);
if (channels != 4)
    exit("Layered: '" + getTitle() + "' is not a layer hyperstack (it needs C=4: red, green, blue, alpha)");
Stack.getPosition(channel, slice, frame);
layer = parseInt(call("ij.Macro.getValue", args + " ", "layer", "" + slice));
if (isNaN(layer) || layer < 1 || layer > slices)
    exit("Layered: layer must be between 1 and " + slices);
parent = getTitle();
Stack.setPosition(1, layer, frame);

// A 4-channel image whose channel 4 is labelled "alpha" is taken as RGBA: the layer's transparency goes in too.
defaults = "model=[] layers=3 resolution=640 steps=50 cfg=4 cfg_normalize=true seed=[] prompt=[] negative=[]"
    + " device=auto inputs=[] hyperstack=true layer_images=false original_size=false output=[] formats=png";
run("Decompose", args + " " + defaults);

if (getTitle() == parent)
    exit("Layered: no result (see the Log for the reason)");
getDimensions(width, height, channels, subLayers, frames);
print("Layered: layer " + layer + " of " + parent + " -> " + getTitle() + ": " + subLayers + " sub-layers");
