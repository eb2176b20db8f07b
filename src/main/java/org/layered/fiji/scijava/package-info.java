/**
 * SciJava commands (Plugins &gt; Layered) for Fiji, scripts and headless runs. Their parameter names are the macro
 * keys of {@link org.layered.fiji.DecomposeOptions}, so a recorded Fiji macro line and an ImageJ 1.x one read the
 * same.
 */
package org.layered.fiji.scijava;
