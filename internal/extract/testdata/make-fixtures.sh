#!/bin/sh
# make-fixtures.sh regenerates the extraction fixtures in this directory from
# the prose in src/*.md. It documents where every fixture came from; the tests
# use the committed outputs and need none of these producers installed.
#
# Needs: pandoc, groff, ghostscript (ps2pdf), libreoffice (soffice), chromium,
# qpdf, imagemagick (convert), zip, python3.
#
#   cd internal/extract/testdata && sh make-fixtures.sh
set -eu
cd "$(dirname "$0")"
S=src
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

chapters="photosynthesis water-cycle french-revolution cell-biology plate-tectonics circulatory-system newton roman-republic nitrogen-cycle industrial-revolution numbers"

# soffice runs with a private profile so it neither needs nor touches ~/.config.
soffice_conv() { # format outdir file...
	fmt=$1 out=$2
	shift 2
	soffice -env:UserInstallation=file://$T/lo --headless --convert-to "$fmt" --outdir "$out" "$@" >/dev/null 2>&1
}

# md_to_ms turns the simple Markdown of src/ (headings and paragraphs) into
# groff -ms by hand, so the groff fixtures do not depend on pandoc.
md_to_ms() {
	printf '.nr PS 11\n.nr VS 13\n'
	sed -e 's/^# \(.*\)$/.SH\n\1\n.PP/' -e 's/^$/.PP/' "$@"
}

# 1. LibreOffice (via pandoc DOCX): the 11-chapter handbook, one chapter per
#    page. The same DOCX is the pandoc DOCX fixture (explicit page breaks).
pb='```{=openxml}
<w:p><w:r><w:br w:type="page"/></w:r></w:p>
```'
: >"$T/handbook.md"
first=1
for c in $chapters; do
	[ $first = 1 ] || printf '\n%s\n\n' "$pb" >>"$T/handbook.md"
	first=0
	cat "$S/$c.md" >>"$T/handbook.md"
done
pandoc -f markdown -t docx -o pandoc-handbook.docx "$T/handbook.md"
cp pandoc-handbook.docx "$T/handbook-10p.docx"
soffice_conv pdf "$T" "$T/handbook-10p.docx"
cp "$T/handbook-10p.pdf" libreoffice-handbook-10p.pdf

# 2. groff -Tpdf (gropdf), hand-made -ms: two chapters, hyphenated lines.
md_to_ms $S/water-cycle.md $S/french-revolution.md $S/photosynthesis.md | groff -k -ms -Tpdf >groff-ms.pdf

# 3. Ghostscript: groff -Tps PostScript through ps2pdf.
md_to_ms $S/plate-tectonics.md $S/newton.md $S/cell-biology.md | groff -k -ms -Tps >"$T/gs.ps"
ps2pdf -dPDFSETTINGS=/prepress "$T/gs.ps" ghostscript-ps2pdf.pdf

# 4. Chromium headless print of justified, hyphenated HTML made by pandoc.
cat >"$T/style.css" <<'CSS'
body { font-family: "DejaVu Serif", serif; font-size: 12pt; margin: 2cm; text-align: justify; hyphens: auto; }
h1 { font-family: "DejaVu Sans", sans-serif; }
CSS
pandoc -s --metadata title="Cells and circulation" --css "$T/style.css" --self-contained -V lang=en \
	-o "$T/chromium.html" $S/cell-biology.md $S/circulatory-system.md 2>/dev/null
chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
	--disable-component-update --disable-sync --user-data-dir="$T/chrome" \
	--no-pdf-header-footer --print-to-pdf="$T/chromium.pdf" "file://$T/chromium.html" >/dev/null 2>&1
cp "$T/chromium.pdf" chromium-print.pdf

# 5. pandoc -t ms | groff (the way pandoc's own ms PDF engine works).
pandoc -s -f markdown -t ms $S/roman-republic.md $S/industrial-revolution.md | groff -k -ms -Tpdf >pandoc-ms.pdf

# 6. LibreOffice Writer straight from HTML to PDF and to DOCX.
pandoc -s --metadata title="Cycles of matter" -o "$T/lo.html" $S/nitrogen-cycle.md $S/numbers.md
soffice_conv 'pdf:writer_pdf_Export' "$T" "$T/lo.html"
cp "$T/lo.pdf" libreoffice-writer.pdf
soffice_conv 'docx:MS Word 2007 XML' "$T" "$T/lo.html"
cp "$T/lo.docx" libreoffice.docx

# 7. Plain text (UTF-8 BOM and CRLF line ends) and Markdown.
{ printf '\357\273\277'; sed -e 's/^# //' -e 's/$/\r/' $S/numbers.md $S/newton.md; } >notes-bom-crlf.txt
cat >lesson.md <<'MD'
# Lesson plan: photosynthesis

A **two-part** lesson for *Year 8* science. See the [Royal Society of Biology](https://www.rsb.org.uk/) for background.

## Objectives

- Name the *reactants* and products of photosynthesis.
- Explain why leaves look green.
1. Describe the light-dependent reactions.
2. Describe the Calvin cycle.

> Plants are the foundation of nearly every food chain.

| Stage | Where | Products |
|-------|-------|----------|
| Light-dependent reactions | thylakoid membranes | ATP, NADPH, oxygen |
| Calvin cycle | stroma | three-carbon sugars |

MD
cat $S/photosynthesis.md >>lesson.md
# pandoc DOCX with lists, a link and a table (no page breaks: one section).
pandoc -f markdown -t docx -o pandoc-lesson.docx lesson.md

# 8. Bad inputs.
size=$(wc -c <libreoffice-handbook-10p.pdf)
head -c $((size / 2)) libreoffice-handbook-10p.pdf >bad-truncated.pdf
qpdf --encrypt user-secret owner-secret 256 -- groff-ms.pdf bad-encrypted-aes256.pdf
# owner password only: anyone can open it (the user password is empty).
qpdf --allow-weak-crypto --encrypt '' owner-secret 128 --use-aes=n -- groff-ms.pdf encrypted-owner-only.pdf
# PDF 2.0 header, which ledongthuc/pdf refuses as is.
qpdf --force-version=2.0 groff-ms.pdf pdf20.pdf
# An image-only page: a scan, no text layer.
convert -size 400x200 xc:white -font DejaVu-Sans -pointsize 24 -annotate +20+100 'Scanned page text' "$T/scan.png"
convert "$T/scan.png" -quality 60 "$T/scan.jpg"
python3 - "$T/scan.jpg" <<'PY'
# A minimal PDF whose only page paints one JPEG (ImageMagick's policy here forbids writing PDF).
import sys
jpg = open(sys.argv[1], "rb").read()
content = b"q 400 0 0 200 100 500 cm /Im0 Do Q"
objs = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
    b"<< /Type /XObject /Subtype /Image /Width 400 /Height 200 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n" % len(jpg) + jpg + b"\nendstream",
    b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
]
out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
offs = []
for i, o in enumerate(objs, 1):
    offs.append(len(out))
    out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
x = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offs:
    out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
open("bad-image-only.pdf", "wb").write(out)
PY
# Bytes garbled after the first 1 KiB (the header stays valid).
python3 - <<'PY'
import random
data = bytearray(open("groff-ms.pdf", "rb").read())
rnd = random.Random(42)
for i in range(1024, len(data)):
    data[i] = rnd.randrange(256)
open("bad-corrupt.pdf", "wb").write(data)
PY
cp "$T/scan.png" bad-png-renamed.pdf
cp /bin/true bad-elf-renamed.pdf
# A zip that is not a Word package.
printf 'hello\n' >"$T/a.txt"
printf 'world\n' >"$T/b.csv"
(cd "$T" && zip -q -X notword.zip a.txt b.csv)
cp "$T/notword.zip" bad-not-word.docx
# An OLE compound file: the old Word 97 .doc format (also how encrypted DOCX is stored).
soffice_conv 'doc:MS Word 97' "$T" "$T/lo.html"
cp "$T/lo.doc" bad-ole-word97.docx

ls -l
