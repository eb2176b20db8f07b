// Layered: decompose every image of a folder (Plugins > Layered > Decompose Folder...).
//
// Each image plane goes to <output>/<name>/ (stacks: <name>-z1/, <name>-z2/, ...): layer files in the chosen
// formats and manifest.json, written last. Running the macro again skips what is done, so a killed job
// simply resumes. To spread a folder over the n jobs of a cluster job array, give every job its shard i/n
// (i counts from 0, whatever the array's task IDs start from):
//   ImageJ --headless -batch batch.ijm "folder=/data/in output=/data/out shard=0/4"
// cluster/submit.sh does this on SLURM, with a summary job that merges the shards' summary and failed tables.
// Options in the argument come first, so they take precedence over the defaults written below.

args = getArgument();
folder = call("ij.Macro.getValue", args + " ", "folder", "");
output = call("ij.Macro.getValue", args + " ", "output", "");
if (folder == "")
    folder = getDirectory("Choose the folder of images");
if (output == "")
    output = getDirectory("Choose the output folder");
setBatchMode(true);
defaults = "shard=[] model=[] layers=4 resolution=640 steps=50 cfg=4 cfg_normalize=true seed=[] prompt=[]"
    + " negative=[] device=auto inputs=[] original_size=false formats=png max_layers=8";
run("Decompose Folder...", args + " folder=[" + folder + "] output=[" + output + "] " + defaults);
print("Layered: batch finished: " + folder + " -> " + output);
