package extract

import (
	"github.com/ledongthuc/pdf"
)

// pdfFont is what text extraction needs from a font dictionary: how to cut
// a shown string into character codes, each code's advance width, and its
// Unicode text. Decoded codes are cached, so each code's ToUnicode lookup
// (a linear scan in the library) happens once per font.
type pdfFont struct {
	enc     pdf.TextEncoding
	twoByte bool // Type0 (CID) font: 2-byte codes (Identity-H and most CMaps)

	first  int       // simple fonts: Widths[i] is the width of code first+i
	widths []float64 // in thousandths of text space units
	cid    map[int]float64
	dw     float64 // width of codes not in widths/cid
	scale  float64 // multiplies widths into thousandths of an em (Type3)

	decoded map[string]string
}

// fontCache shares parsed fonts between pages. It is keyed by the printed
// font dictionary, which names its embedded objects by reference, so two
// resource entries that point at the same font share one entry.
type fontCache map[string]*pdfFont

const maxFontWidths = 1 << 16

func (c fontCache) get(v pdf.Value) *pdfFont {
	if v.Kind() != pdf.Dict {
		return c.fallback()
	}
	key := v.String()
	if f, ok := c[key]; ok {
		return f
	}
	f := newPDFFont(v)
	c[key] = f
	return f
}

// fallback is the font used when Tf names no usable font: one-byte codes
// read as Latin-1, half an em wide.
func (c fontCache) fallback() *pdfFont {
	if f, ok := c[""]; ok {
		return f
	}
	f := &pdfFont{enc: latin1{}, dw: 500, scale: 1, decoded: map[string]string{}}
	c[""] = f
	return f
}

type latin1 struct{}

func (latin1) Decode(raw string) string {
	r := make([]rune, len(raw))
	for i := 0; i < len(raw); i++ {
		r[i] = rune(raw[i])
	}
	return string(r)
}

func newPDFFont(v pdf.Value) *pdfFont {
	pf := &pdf.Font{V: v}
	f := &pdfFont{enc: pf.Encoder(), scale: 1, decoded: map[string]string{}}
	if f.enc == nil {
		f.enc = latin1{}
	}
	switch v.Key("Subtype").Name() {
	case "Type0":
		f.twoByte = true
		d := v.Key("DescendantFonts").Index(0)
		f.dw = 1000
		if dw := d.Key("DW"); dw.Kind() == pdf.Integer || dw.Kind() == pdf.Real {
			f.dw = dw.Float64()
		}
		f.cid = map[int]float64{}
		w := d.Key("W")
		n := 0
		for i := 0; i+1 < w.Len() && n < maxFontWidths; {
			c := int(w.Index(i).Int64())
			next := w.Index(i + 1)
			if next.Kind() == pdf.Array {
				for j := 0; j < next.Len() && n < maxFontWidths; j++ {
					f.cid[c+j] = next.Index(j).Float64()
					n++
				}
				i += 2
				continue
			}
			if i+2 >= w.Len() {
				break
			}
			last := int(next.Int64())
			wd := w.Index(i + 2).Float64()
			for k := c; k <= last && n < maxFontWidths; k++ {
				f.cid[k] = wd
				n++
			}
			i += 3
		}
	default:
		f.first = int(v.Key("FirstChar").Int64())
		ws := v.Key("Widths")
		for i := 0; i < ws.Len() && i < 256; i++ {
			f.widths = append(f.widths, ws.Index(i).Float64())
		}
		f.dw = v.Key("FontDescriptor").Key("MissingWidth").Float64()
		if len(f.widths) == 0 && f.dw == 0 {
			// A standard-14 font without metrics: guess half an em.
			f.dw = 500
		}
		if v.Key("Subtype").Name() == "Type3" {
			// Type3 widths are in glyph space, mapped by FontMatrix.
			if m := v.Key("FontMatrix"); m.Len() == 6 {
				f.scale = m.Index(0).Float64() * 1000
			} else {
				f.scale = 1
			}
		}
	}
	return f
}

// width returns the advance of code in thousandths of an em.
func (f *pdfFont) width(code int) float64 {
	if f.twoByte {
		if w, ok := f.cid[code]; ok {
			return w * f.scale
		}
		return f.dw * f.scale
	}
	if i := code - f.first; i >= 0 && i < len(f.widths) {
		return f.widths[i] * f.scale
	}
	return f.dw * f.scale
}

// decode returns the text of one character code.
func (f *pdfFont) decode(code string) string {
	if s, ok := f.decoded[code]; ok {
		return s
	}
	s := f.enc.Decode(code)
	if len(f.decoded) < 1<<16 {
		f.decoded[code] = s
	}
	return s
}
