"""Attachment files: .docx through python-docx, .pdf built by hand (no PDF library needed).

The PDF uses a Type0 font with Identity-H encoding where each glyph id is the character's
BMP code point, plus a ToUnicode CMap, so text extractors (pypdf, pdfminer) read the Chinese
text back exactly; viewers without the font show boxes, which is irrelevant here.
"""

from __future__ import annotations

import io


def docx_bytes(title: str, body: str) -> bytes:
    import docx  # python-docx; imported lazily, only attachment requests need it

    document = docx.Document()
    document.add_heading(title, level=1)
    for line in body.split("\n"):
        if line.strip():
            document.add_paragraph(line.strip())
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _hex(text: str) -> str:
    return "".join(f"{ord(c):04X}" if ord(c) < 0x10000 else "FFFD" for c in text)


def _wrap(line: str, width: int = 38) -> list[str]:
    return [line[i: i + width] for i in range(0, len(line), width)] or [""]


def pdf_bytes(title: str, body: str, lines_per_page: int = 45) -> bytes:
    """A valid multi-page PDF whose extractable text is ``title`` then the body lines."""
    lines: list[str] = [title, ""]
    for para in body.split("\n"):
        if para.strip():
            lines.extend(_wrap(para.strip()))
    pages = [lines[i: i + lines_per_page] for i in range(0, len(lines), lines_per_page)] or [[]]
    used = sorted({ord(c) for line in lines for c in line if ord(c) < 0x10000})

    objects: list[bytes] = []  # object n is objects[n-1]

    def add(obj: bytes) -> int:
        objects.append(obj)
        return len(objects)

    catalog = add(b"")  # filled in below
    pages_obj = add(b"")
    cmap_lines = [f"<{c:04X}> <{c:04X}>" for c in used]
    chunks = [cmap_lines[i: i + 100] for i in range(0, len(cmap_lines), 100)]
    cmap = ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            + "".join(f"{len(c)} beginbfchar\n" + "\n".join(c) + "\nendbfchar\n" for c in chunks)
            + "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n").encode("ascii")
    tounicode = add(b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream")
    descriptor = add(b"<< /Type /FontDescriptor /FontName /SimSun /Flags 6 /FontBBox [0 -141 1000 859] "
                     b"/ItalicAngle 0 /Ascent 859 /Descent -141 /CapHeight 700 /StemV 80 >>")
    cidfont = add(b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun "
                  b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                  b"/FontDescriptor %d 0 R /DW 1000 >>" % descriptor)
    font = add(b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H "
               b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (cidfont, tounicode))
    page_ids = []
    for page_lines in pages:
        ops = ["BT", "/F1 12 Tf", "14 TL", "56 790 Td"]
        for line in page_lines:
            ops.append(f"<{_hex(line)}> Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("ascii")
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page_ids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (pages_obj, font, content)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    kids = b" ".join(b"%d 0 R" % p for p in page_ids)
    objects[pages_obj - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))

    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref))
    return out.getvalue()
