package org.layered.fiji;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class HelpPageTest {
    @Test
    void theHelpIsTheReadmesFijiSectionFromTheJar() {
        String html = HelpPage.html();
        assertTrue(html.startsWith("<html>"), "GenericDialog.addHelp shows it as a page");
        assertTrue(html.contains("<h2>Fiji and ImageJ</h2>"), html.substring(0, 200));
        assertTrue(html.contains("<table"), "the key table");
        assertTrue(html.contains("<code>layers</code>"));
        assertTrue(html.contains("Recompose..."));
        assertFalse(html.contains("<h2>Architecture</h2>"), "only the Fiji section");
    }

    @Test
    void markdownBecomesSimpleHtml() {
        String h = HelpPage.toHtml("""
                ### T

                A **b** `c` [d](http://e) & <f>.

                - one
                  more
                - two

                | k | v \\| w |
                | --- | --- |
                | x | y |

                ```
                code <x>
                ```
                """);
        assertTrue(h.contains("<h3>T</h3>"), h);
        assertTrue(h.contains("<p> A <b>b</b> <code>c</code> d (http://e) &amp; &lt;f&gt;.</p>"), h);
        assertTrue(h.contains("<li>one more</li>"), h);
        assertTrue(h.contains("<td>v | w</td>"), h);
        assertTrue(h.contains("<pre>code &lt;x&gt;\n</pre>"), h);
    }
}
