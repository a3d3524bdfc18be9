package extract

import (
	"context"
	"io"
	"math"
	"unsafe"

	"github.com/ledongthuc/pdf"
)

// glyph is one character code drawn on a page, in default user space
// (points, y up).
type glyph struct {
	x, y float64 // start of the glyph on its baseline
	w    float64 // advance along the baseline
	size float64 // effective font size
	s    string  // Unicode text (may be several runes, e.g. a ligature)
}

type matrix [6]float64 // a b c d e f, as in PDF

var identity = matrix{1, 0, 0, 1, 0, 0}

// mul returns m × n (apply m, then n).
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2],
		m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2],
		m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4],
		m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

type textState struct {
	ctm           matrix
	tc, tw, th    float64 // char spacing, word spacing, horizontal scale (1 = 100%)
	tl, tfs, rise float64 // leading, font size, rise
	font          *pdfFont
}

// abortError stops content interpretation from inside the library's
// callback (which cannot return an error) by panicking with it; the page's
// recover turns it back into an error.
type abortError struct{ err error }

// Bounds on content interpretation that keep a hostile page finite.
const (
	maxStateDepth = 256 // nested q
	maxFormDepth  = 8   // nested form XObjects
	ctxCheckEvery = 4096
)

// contentReader interprets page content streams and collects glyphs. It is
// a small subset of the PDF imaging model: text state and positioning
// operators, q/Q/cm, and form XObjects; everything else is ignored.
type contentReader struct {
	ctx    context.Context
	fonts  fontCache
	budget *textBudget
	glyphs []glyph
	ops    int
}

// glyphCost is what one glyph record holds besides its text: the record,
// and about as much again in the layout built from it.
const glyphCost = 2 * int(unsafe.Sizeof(glyph{}))

func (cr *contentReader) readPage(p pdf.Page) []glyph {
	cr.glyphs = cr.glyphs[:0]
	cr.budget.nextPage()
	contents := p.V.Key("Contents")
	if contents.IsNull() {
		return nil
	}
	cr.run(contents, pageResources(p), identity, 0)
	return cr.glyphs
}

// checkStream decodes strm (a stream, or an array of them as a page's
// Contents may be) into nothing, counting its bytes, before the library
// interprets it: the library decodes as it reads and never stops on its
// own, so a small Flate stream that inflates to gigabytes would otherwise
// be lexed to the end. Too large a stream, or too many decoded bytes over
// the whole document, is ETOOLARGE.
func (cr *contentReader) checkStream(strm pdf.Value) {
	if strm.Kind() == pdf.Array {
		for i := 0; i < strm.Len(); i++ {
			cr.checkStream(strm.Index(i))
		}
		return
	}
	if strm.Kind() != pdf.Stream {
		return
	}
	b := cr.budget
	rc := strm.Reader()
	defer rc.Close()
	// A damaged stream ends early with an error: the library then reads
	// what it can, as before.
	n, _ := io.CopyN(io.Discard, rc, b.streamMax+1)
	b.decoded += n
	if n > b.streamMax {
		panic(abortError{tooLarge(b.streamMax)})
	}
	if b.decoded > b.decodedMax {
		panic(abortError{tooLarge(b.decodedMax)})
	}
}

// font returns the font of a resource entry, measuring its ToUnicode map
// (which the library decodes whole) the first time the font is seen.
func (cr *contentReader) font(v pdf.Value) *pdfFont {
	if v.Kind() == pdf.Dict {
		if _, ok := cr.fonts[v.String()]; !ok {
			cr.checkStream(v.Key("ToUnicode"))
		}
	}
	return cr.fonts.get(v)
}

func (cr *contentReader) run(strm, res pdf.Value, ctm matrix, depth int) {
	cr.checkStream(strm)
	g := textState{ctm: ctm, th: 1, font: cr.fonts.fallback()}
	var stack []textState
	var tm, tlm matrix // text and text line matrices
	// Fonts by resource name: resolving the resource dictionary and the
	// font for every Tf would re-parse objects each time.
	local := map[string]*pdfFont{}

	show := func(s string) {
		f := g.font
		step := 1
		if f.twoByte {
			step = 2
		}
		for i := 0; i+step <= len(s); i += step {
			raw := s[i : i+step]
			code := int(raw[0])
			if step == 2 {
				code = code<<8 | int(raw[1])
			}
			w0 := f.width(code) / 1000
			trm := matrix{g.tfs * g.th, 0, 0, g.tfs, 0, g.rise}.mul(tm).mul(g.ctm)
			size := math.Hypot(trm[2], trm[3])
			text := f.decode(raw)
			if text != "" {
				cr.glyphs = append(cr.glyphs, glyph{
					x: trm[4], y: trm[5],
					w:    w0 * math.Hypot(trm[0], trm[1]),
					size: size,
					s:    text,
				})
				if err := cr.budget.add(len(text)); err != nil {
					panic(abortError{err})
				}
				if err := cr.budget.hold(glyphCost + len(text)); err != nil {
					panic(abortError{err})
				}
			}
			tx := w0*g.tfs + g.tc
			if step == 1 && code == ' ' {
				tx += g.tw
			}
			tm = matrix{1, 0, 0, 1, tx * g.th, 0}.mul(tm)
		}
	}
	nextLine := func(tx, ty float64) {
		tlm = matrix{1, 0, 0, 1, tx, ty}.mul(tlm)
		tm = tlm
	}
	num := func(args []pdf.Value, i int) float64 {
		if i < len(args) {
			return args[i].Float64()
		}
		return 0
	}
	mat := func(args []pdf.Value) (matrix, bool) {
		if len(args) != 6 {
			return identity, false
		}
		var m matrix
		for i := range m {
			m[i] = args[i].Float64()
		}
		return m, true
	}

	pdf.Interpret(strm, func(stk *pdf.Stack, op string) {
		n := stk.Len()
		args := make([]pdf.Value, n)
		for i := n - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		cr.ops++
		if cr.ops%ctxCheckEvery == 0 && cr.ctx.Err() != nil {
			panic(abortError{cr.ctx.Err()})
		}
		switch op {
		case "q":
			if len(stack) < maxStateDepth {
				stack = append(stack, g)
			}
		case "Q":
			if k := len(stack); k > 0 {
				g = stack[k-1]
				stack = stack[:k-1]
			}
		case "cm":
			if m, ok := mat(args); ok {
				g.ctm = m.mul(g.ctm)
			}
		case "BT":
			tm, tlm = identity, identity
		case "Tc":
			g.tc = num(args, 0)
		case "Tw":
			g.tw = num(args, 0)
		case "Tz":
			g.th = num(args, 0) / 100
		case "TL":
			g.tl = num(args, 0)
		case "Ts":
			g.rise = num(args, 0)
		case "Tf":
			if len(args) == 2 {
				name := args[0].Name()
				f, ok := local[name]
				if !ok {
					f = cr.font(res.Key("Font").Key(name))
					local[name] = f
				}
				g.font, g.tfs = f, args[1].Float64()
			}
		case "Td":
			nextLine(num(args, 0), num(args, 1))
		case "TD":
			g.tl = -num(args, 1)
			nextLine(num(args, 0), num(args, 1))
		case "Tm":
			if m, ok := mat(args); ok {
				tm, tlm = m, m
			}
		case "T*":
			nextLine(0, -g.tl)
		case "Tj":
			if len(args) == 1 {
				show(args[0].RawString())
			}
		case "'":
			nextLine(0, -g.tl)
			if len(args) == 1 {
				show(args[0].RawString())
			}
		case "\"":
			if len(args) == 3 {
				g.tw, g.tc = args[0].Float64(), args[1].Float64()
				nextLine(0, -g.tl)
				show(args[2].RawString())
			}
		case "TJ":
			if len(args) != 1 {
				return
			}
			a := args[0]
			for i := 0; i < a.Len(); i++ {
				x := a.Index(i)
				if x.Kind() == pdf.String {
					show(x.RawString())
				} else {
					tx := -x.Float64() / 1000 * g.tfs * g.th
					tm = matrix{1, 0, 0, 1, tx, 0}.mul(tm)
				}
			}
		case "Do":
			if len(args) != 1 || depth >= maxFormDepth {
				return
			}
			xo := res.Key("XObject").Key(args[0].Name())
			if xo.Kind() != pdf.Stream || xo.Key("Subtype").Name() != "Form" {
				return
			}
			m, ok := identity, false
			if mv := xo.Key("Matrix"); mv.Len() == 6 {
				for i := range m {
					m[i] = mv.Index(i).Float64()
				}
				ok = true
			}
			ctm := g.ctm
			if ok {
				ctm = m.mul(g.ctm)
			}
			fres := xo.Key("Resources")
			if fres.IsNull() {
				fres = res
			}
			cr.run(xo, fres, ctm, depth+1)
		}
	})
}
