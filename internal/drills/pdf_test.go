package drills

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"

	"github.com/quizflow/quizflow/internal/hostile"
)

// slowPDF writes an n-page PDF that takes the extractor a while to read
// but holds little text: each page has a few lines of prose in Helvetica
// and then strokes ops short line segments (vector art, which the parser
// must interpret and which yields no text), all in one Flate-compressed
// content stream, so the file stays small. The page tree is flat, the
// shape most producers write.
func slowPDF(n, ops int) []byte {
	kids := make([]string, n)
	for i := range kids {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d /Resources << /Font << /F1 3 0 R >> >> /MediaBox [0 0 612 792] >>", strings.Join(kids, " "), n),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	}
	for i := range n {
		var c strings.Builder
		c.WriteString("BT /F1 11 Tf 72 720 Td 14 TL\n")
		for l := range 5 {
			fmt.Fprintf(&c, "(Part %d: %s) Tj T*\n", i+1, lessonLines[(i+l)%len(lessonLines)])
		}
		c.WriteString("ET\n")
		for k := range ops {
			_ = k
			c.WriteString(opLine)
		}
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		_, _ = zw.Write([]byte(c.String()))
		_ = zw.Close()
		objs = append(objs, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /Contents %d 0 R >>", 5+2*i))
		objs = append(objs, fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.String()))
	}
	return hostile.WritePDF(objs)
}

// lessonLines are the sentences the generated documents are made of.
var lessonLines = []string{
	"Photosynthesis captures the energy of sunlight and stores it in sugar.",
	"Chloroplasts contain the green pigment chlorophyll that absorbs light.",
	"The light reactions split water molecules and release oxygen gas.",
	"The Calvin cycle fixes carbon dioxide from the air into glucose.",
	"Mitochondria release the energy stored in glucose during respiration.",
	"Stomata are small pores that let carbon dioxide enter the leaves.",
	"Transpiration moves water from the roots up to the leaves of plants.",
	"Algae and cyanobacteria also perform photosynthesis in the oceans.",
}

var opLine = "72 72 m 540 720 l S\n"
