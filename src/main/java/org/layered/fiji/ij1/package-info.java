/**
 * ImageJ 1.x plugins (Plugins &gt; Layered), registered by the top-level {@code plugins.config}: for plain ImageJ
 * and classic macros. They read macro options first and build a dialog only when a person runs them. In Fiji the
 * SciJava commands of the same menu paths take these entries over (imagej-legacy), so each appears once.
 */
package org.layered.fiji.ij1;
