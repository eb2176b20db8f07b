package org.layered.build;

import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/** The little DOM reading the build tooling needs: safe parsing (no external entities) and child lookups. */
final class Xml {
    private Xml() {
    }

    /** The document element of an XML stream; a DOCTYPE's internal subset is allowed, nothing external is read. */
    static Element parse(InputStream in, String what) throws IOException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setExpandEntityReferences(false);
            return f.newDocumentBuilder().parse(in).getDocumentElement();
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException(what + ": not readable XML (" + e.getMessage() + ")", e);
        }
    }

    /** The child elements named {@code tag}, in document order. */
    static List<Element> children(Element parent, String tag) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(tag)) {
                out.add(e);
            }
        }
        return out;
    }

    /** The first child element named {@code tag}, or null. */
    static Element child(Element parent, String tag) {
        List<Element> c = children(parent, tag);
        return c.isEmpty() ? null : c.get(0);
    }

    /** The trimmed text of the first child {@code tag} (whitespace runs folded to one space), or null. */
    static String text(Element parent, String tag) {
        Element e = parent == null ? null : child(parent, tag);
        String t = e == null ? null : e.getTextContent().strip().replaceAll("\\s+", " ");
        return t == null || t.isEmpty() ? null : t;
    }
}
