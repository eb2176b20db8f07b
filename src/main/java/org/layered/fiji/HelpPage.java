package org.layered.fiji;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the dialogs' Help button shows: the "Fiji and ImageJ" section of the README shipped inside the plugin jar,
 * as simple HTML for ImageJ's help window. Shipped rather than linked, so that it works offline (clusters,
 * microscope PCs) and always describes the installed version.
 */
public final class HelpPage {
    /** Where the build puts the README in the jar. */
    static final String RESOURCE = "org/layered/fiji/README.md";
    /** The heading of the section shown. */
    static final String SECTION = "## Fiji and ImageJ";

    private static final Pattern CODE = Pattern.compile("`([^`]+)`");
    private static final Pattern BOLD = Pattern.compile("\\*\\*([^*]+)\\*\\*");
    private static final Pattern LINK = Pattern.compile("\\[([^\\]]+)]\\(([^)]+)\\)");

    private HelpPage() {}

    /** The help page, starting with {@code <html>} (what {@code GenericDialog.addHelp} shows as a page). */
    public static String html() {
        String md;
        try (InputStream in = HelpPage.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            md = in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            md = null;
        }
        if (md == null) {
            return "<html><body><p>The Layered README is missing from this installation; see the project's "
                    + "README, section \"Fiji and ImageJ\".</p></body></html>";
        }
        return "<html><body>" + toHtml(section(md)) + "</body></html>";
    }

    /** The text from the {@link #SECTION} heading to the next heading of the same level. */
    static String section(String markdown) {
        int start = markdown.indexOf(SECTION + "\n");
        if (start < 0) {
            return markdown;
        }
        int end = markdown.indexOf("\n## ", start + SECTION.length());
        return markdown.substring(start, end < 0 ? markdown.length() : end + 1);
    }

    /** The Markdown the README uses (headings, paragraphs, lists, tables, code blocks, inline code, bold, links). */
    static String toHtml(String md) {
        StringBuilder out = new StringBuilder();
        boolean list = false;
        boolean table = false;
        boolean code = false;
        boolean paragraph = false;
        for (String line : md.split("\n")) {
            if (line.strip().startsWith("```")) {
                if (!code) {
                    paragraph = close(out, paragraph, list, table);
                    list = false;
                    table = false;
                    out.append("<pre>");
                } else {
                    out.append("</pre>\n");
                }
                code = !code;
                continue;
            }
            if (code) {
                out.append(escape(line)).append('\n');
                continue;
            }
            String t = line.strip();
            if (t.isEmpty()) {
                paragraph = close(out, paragraph, list, table);
                list = false;
                table = false;
            } else if (t.startsWith("#")) {
                paragraph = close(out, paragraph, list, table);
                list = false;
                table = false;
                int level = Math.min(4, t.indexOf(' ') > 0 ? t.indexOf(' ') : 2);
                out.append("<h").append(level).append('>').append(inline(t.substring(level).strip()))
                        .append("</h").append(level).append(">\n");
            } else if (t.startsWith("|")) {
                if (t.matches("\\|[\\s|:-]+\\|")) {
                    continue; // the header separator row
                }
                if (!table) {
                    paragraph = close(out, paragraph, list, false);
                    list = false;
                    out.append("<table border=\"1\" cellpadding=\"3\">\n");
                    table = true;
                }
                out.append("<tr>");
                for (String cell : t.substring(1, t.length() - 1).split("(?<!\\\\)\\|")) {
                    out.append("<td>").append(inline(cell.strip().replace("\\|", "|"))).append("</td>");
                }
                out.append("</tr>\n");
            } else if (t.startsWith("- ")) {
                if (!list) {
                    paragraph = close(out, paragraph, false, table);
                    table = false;
                    out.append("<ul>\n");
                    list = true;
                } else {
                    out.append("</li>\n");
                }
                out.append("<li>").append(inline(t.substring(2)));
            } else {
                if (!list && !paragraph) {
                    out.append("<p>");
                    paragraph = true;
                }
                out.append(' ').append(inline(t));
            }
        }
        close(out, paragraph, list, table);
        return out.toString();
    }

    /** Ends an open paragraph, list or table; returns false (no paragraph open). */
    private static boolean close(StringBuilder out, boolean paragraph, boolean list, boolean table) {
        if (paragraph) {
            out.append("</p>\n");
        }
        if (list) {
            out.append("</li>\n</ul>\n");
        }
        if (table) {
            out.append("</table>\n");
        }
        return false;
    }

    private static String inline(String text) {
        String s = escape(text);
        s = LINK.matcher(s).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + " (" + m.group(2) + ")"));
        s = CODE.matcher(s).replaceAll(m -> Matcher.quoteReplacement("<code>" + m.group(1) + "</code>"));
        return BOLD.matcher(s).replaceAll(m -> Matcher.quoteReplacement("<b>" + m.group(1) + "</b>"));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
