package export

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/export/exporttest"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// Schema validation runs libxml2's xmllint (Debian package libxml2-utils)
// against the IMS schemas in ../shared/schemas.

// validateQTIPackage renders the fixture and checks every XML file of the
// package against its schema, and the manifest against IMS CP.
func validateQTIPackage(t *testing.T, format string, opts quizflow.ExportOptions) {
	t.Helper()
	exporttest.ValidatePackage(t, format, render(t, fixture(t), format, opts).Data)
}

func TestSchemaQTI12(t *testing.T) {
	for _, opts := range []quizflow.ExportOptions{{}, {IncludeFeedback: true, ShuffleAnswers: true}} {
		validateQTIPackage(t, "qti12-canvas", opts)
	}
}

func TestSchemaQTI21(t *testing.T) {
	for _, opts := range []quizflow.ExportOptions{{}, {IncludeFeedback: true, ShuffleAnswers: true}} {
		validateQTIPackage(t, "qti21", opts)
	}
}

// TestSchemaValidatorRejects shows the validation above is real: the same
// xmllint call fails on documents that break each schema.
func TestSchemaValidatorRejects(t *testing.T) {
	schemas := schemasDir(t)
	quiz := fixture(t)
	qti12, _ := qti12Files(t, render(t, quiz, "qti12-canvas", quizflow.ExportOptions{}))
	qti21 := unzip(t, render(t, quiz, "qti21", quizflow.ExportOptions{}).Data)
	var qti12Name, qti21Item string
	for n := range qti12 {
		if strings.HasSuffix(n, ".xml") && !strings.HasSuffix(n, "assessment_meta.xml") && n != "imsmanifest.xml" {
			qti12Name = n
		}
	}
	for n := range qti21 {
		if strings.HasPrefix(n, "items/") {
			qti21Item = n
		}
	}
	for _, c := range []struct {
		name, xsd string
		doc       []byte
	}{
		// An element QTI 1.2 does not define.
		{"qti12 unknown element", filepath.Join(schemas, "qti12", "ims_qtiasiv1p2.xsd"),
			bytes.Replace(qti12[qti12Name], []byte("<presentation>"), []byte("<presentation><bogus/>"), 1)},
		// A QTI 2.1 item without its required identifier.
		{"qti21 missing identifier", filepath.Join(schemas, "qti21", "qtiv2p1", "imsqti_v2p1.xsd"),
			bytes.Replace(qti21[qti21Item], []byte(` identifier="I`), []byte(` name="I`), 1)},
		// A manifest without its resources.
		{"manifest without resources", filepath.Join(schemas, "cp", "imscp_v1p1.xsd"),
			[]byte(`<?xml version="1.0"?><manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="m"><organizations/></manifest>`)},
	} {
		paths := writeTemp(t, map[string][]byte{"doc.xml": c.doc}, "doc.xml")
		if out, ok := xmllint(t, c.xsd, paths...); ok {
			t.Errorf("%s: xmllint accepted a broken document:\n%s", c.name, out)
		}
	}
}

func TestMoodleXMLWellFormed(t *testing.T) {
	f := render(t, fixture(t), "moodle-xml", quizflow.ExportOptions{IncludeFeedback: true})
	wellFormed(t, f.Name, f.Data)
}
