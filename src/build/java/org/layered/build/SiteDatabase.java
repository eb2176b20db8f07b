package org.layered.build;

import org.w3c.dom.Element;

import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * {@code db.xml.gz}, the index of an ImageJ update site, in the format imagej-updater's {@code XMLFileReader} reads:
 * a gzipped {@code <pluginRecords>} with one {@code <plugin filename=...>} per file, holding in this order its
 * {@code <platform>}s, its {@code <version checksum timestamp filesize>} (with {@code <description>},
 * {@code <dependency filename timestamp>}s, {@code <link>}s and {@code <author>}s inside) and its
 * {@code <previous-version timestamp timestamp-obsolete checksum filename>}s. A site's index names no update sites
 * (only the local copy in a Fiji folder does) and carries no DTD (the updater does not validate what it reads).
 */
public final class SiteDatabase {
    /** The index's file name on the site. */
    public static final String FILE = "db.xml.gz";

    private SiteDatabase() {
    }

    /** Writes the gzipped index. */
    public static void write(List<SiteFile> files, OutputStream out) throws IOException {
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            XMLStreamWriter w = XMLOutputFactory.newFactory().createXMLStreamWriter(gz, "UTF-8");
            w.writeStartDocument("UTF-8", "1.0");
            w.writeCharacters("\n");
            w.writeStartElement("pluginRecords");
            for (SiteFile f : files) {
                writeFile(w, f);
            }
            w.writeCharacters("\n");
            w.writeEndElement();
            w.writeCharacters("\n");
            w.writeEndDocument();
            w.close();
        } catch (XMLStreamException e) {
            throw new IOException("cannot write " + FILE + ": " + e.getMessage(), e);
        }
    }

    private static void writeFile(XMLStreamWriter w, SiteFile f) throws XMLStreamException {
        indent(w, 1);
        w.writeStartElement("plugin");
        w.writeAttribute("filename", f.filename());
        for (String p : f.platforms()) {
            text(w, 2, "platform", p);
        }
        if (f.current() != null) {
            indent(w, 2);
            w.writeStartElement("version");
            w.writeAttribute("checksum", f.current().checksum());
            w.writeAttribute("timestamp", Long.toString(f.current().timestamp()));
            w.writeAttribute("filesize", Long.toString(f.current().filesize()));
            if (f.description() != null) {
                text(w, 3, "description", f.description());
            }
            for (SiteFile.Dependency d : f.dependencies()) {
                indent(w, 3);
                w.writeEmptyElement("dependency");
                w.writeAttribute("filename", d.filename());
                w.writeAttribute("timestamp", Long.toString(d.timestamp()));
            }
            for (String l : f.links()) {
                text(w, 3, "link", l);
            }
            for (String a : f.authors()) {
                text(w, 3, "author", a);
            }
            indent(w, 2);
            w.writeEndElement();
        }
        for (SiteFile.Previous p : f.previous()) {
            indent(w, 2);
            w.writeEmptyElement("previous-version");
            w.writeAttribute("timestamp", Long.toString(p.timestamp()));
            w.writeAttribute("timestamp-obsolete", Long.toString(p.timestampObsolete()));
            w.writeAttribute("checksum", p.checksum());
            w.writeAttribute("filename", p.filename());
        }
        indent(w, 1);
        w.writeEndElement();
    }

    private static void text(XMLStreamWriter w, int depth, String element, String value) throws XMLStreamException {
        indent(w, depth);
        w.writeStartElement(element);
        w.writeCharacters(value);
        w.writeEndElement();
    }

    private static void indent(XMLStreamWriter w, int depth) throws XMLStreamException {
        w.writeCharacters("\n" + "    ".repeat(depth));
    }

    /**
     * Reads a gzipped index (this builder's or any update site's: a DOCTYPE with an internal DTD is allowed, an
     * external one is never fetched).
     */
    public static List<SiteFile> read(InputStream in) throws IOException {
        Element root;
        try (InputStream gz = new GZIPInputStream(in)) {
            root = Xml.parse(gz, FILE);
        }
        if (!root.getTagName().equals("pluginRecords")) {
            throw new IOException("not an update site index: the root element is <" + root.getTagName() + ">");
        }
        List<SiteFile> out = new ArrayList<>();
        for (Element p : Xml.children(root, "plugin")) {
            String filename = required(p, "filename");
            SiteFile.Version current = null;
            String description = null;
            List<SiteFile.Dependency> deps = new ArrayList<>();
            List<String> links = List.of();
            List<String> authors = List.of();
            List<Element> versions = Xml.children(p, "version");
            if (versions.size() > 1) {
                throw new IOException(filename + ": more than one <version>");
            }
            if (!versions.isEmpty()) {
                Element v = versions.get(0);
                current = new SiteFile.Version(required(v, "checksum"), number(v, "timestamp"), number(v, "filesize"));
                description = Xml.text(v, "description");
                for (Element dep : Xml.children(v, "dependency")) {
                    deps.add(new SiteFile.Dependency(required(dep, "filename"), number(dep, "timestamp")));
                }
                links = texts(v, "link");
                authors = texts(v, "author");
            }
            List<SiteFile.Previous> previous = new ArrayList<>();
            for (Element pv : Xml.children(p, "previous-version")) {
                String name = pv.getAttribute("filename");
                previous.add(new SiteFile.Previous(required(pv, "checksum"), number(pv, "timestamp"),
                        pv.hasAttribute("timestamp-obsolete") ? number(pv, "timestamp-obsolete") : 0,
                        name.isEmpty() ? filename : name));
            }
            out.add(new SiteFile(filename, texts(p, "platform"), current, description, deps, links, authors,
                    previous));
        }
        return out;
    }

    private static List<String> texts(Element parent, String tag) {
        return Xml.children(parent, tag).stream().map(e -> e.getTextContent().strip()).toList();
    }

    private static String required(Element e, String attribute) throws IOException {
        if (!e.hasAttribute(attribute)) {
            throw new IOException("<" + e.getTagName() + "> without the required attribute " + attribute);
        }
        return e.getAttribute(attribute);
    }

    private static long number(Element e, String attribute) throws IOException {
        String v = required(e, attribute);
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException x) {
            throw new IOException("<" + e.getTagName() + "> " + attribute + "=\"" + v + "\" is not a number", x);
        }
    }
}
