/**
 * The Fiji / ImageJ front ends' shared core: one implementation behind the ImageJ 1.x plugins
 * ({@link org.layered.fiji.ij1}) and the SciJava commands ({@link org.layered.fiji.scijava}).
 *
 * <ul>
 *   <li>{@link org.layered.fiji.DecomposeOptions}: the option keys shared by macros, dialogs and SciJava
 *       parameters, read by {@link org.layered.fiji.MacroOptions} the way ImageJ reads macro options.</li>
 *   <li>{@link org.layered.fiji.ImageConversion}: ImageJ images to RGBA, with every input rule (types, display
 *       range, RGBA hyperstacks, planes) and a clear message for anything else.</li>
 *   <li>{@link org.layered.fiji.DecomposeJob}: one run (options checked first, resampling, result images, Info,
 *       export); {@link org.layered.fiji.ResultImages} builds the images, {@link org.layered.export.OutputFolder}
 *       the saved folder, {@link org.layered.fiji.ResultDisplay} shows them the ImageJ 1.x way.</li>
 *   <li>{@link org.layered.fiji.BatchDecompose}: a folder, resumable and shardable; {@code BatchReport} keeps its
 *       tables of what became of each file and which failed.</li>
 *   <li>{@link org.layered.fiji.PipelineDecomposer} on the {@link org.layered.fiji.ModelHost} (one engine thread
 *       that keeps the model loaded), the model found by {@link org.layered.fiji.ModelLocator}; a missing model
 *       is a one-line message naming Download Model..., or, for a person, an offer to download it.</li>
 *   <li>{@link org.layered.fiji.ModelDownload}: Download Model... and that offer (store options, fetch, one-line
 *       messages); {@link org.layered.fiji.Ij1Download} its ImageJ 1.x progress (status bar, Esc).</li>
 *   <li>{@link org.layered.fiji.Ij1Progress}: ImageJ 1.x progress and Esc; the SciJava adapter lives with the
 *       commands so that plain ImageJ 1.x never loads SciJava classes.</li>
 * </ul>
 */
package org.layered.fiji;
