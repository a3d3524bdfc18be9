package export

import (
	"bytes"
	"encoding/xml"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// Schema validation runs libxml2's xmllint (Debian package libxml2-utils)
// against the IMS schemas in ../shared/schemas.

// validateQTIPackage renders the fixture and checks every XML file of the
// package against its schema, and the manifest against IMS CP.
func validateQTIPackage(t *testing.T, format string, opts Options) {
	t.Helper()
	schemas := schemasDir(t)
	f := render(t, fixture(t), format, opts)
	files := unzip(t, f.Data)
	var itemsXSD, cpXSD string
	var items []string
	switch format {
	case "qti12-canvas":
		itemsXSD = filepath.Join(schemas, "qti12", "ims_qtiasiv1p2.xsd")
		cpXSD = filepath.Join(schemas, "cp", "imscp_v1p1.xsd")
		items = filesMatching(files, func(n string) bool {
			dir, base, ok := strings.Cut(n, "/")
			return ok && base == dir+".xml"
		})
		// assessment_meta.xml is Canvas's own vocabulary, with no schema
		// here: check that it is well-formed.
		for _, n := range filesMatching(files, func(n string) bool { return strings.HasSuffix(n, "/assessment_meta.xml") }) {
			wellFormed(t, n, files[n])
		}
	case "qti21":
		itemsXSD = filepath.Join(schemas, "qti21", "qtiv2p1", "imsqti_v2p1.xsd")
		cpXSD = filepath.Join(schemas, "qti21", "imscp_v1p1.xsd")
		items = filesMatching(files, func(n string) bool { return n != "imsmanifest.xml" })
	}
	if len(items) == 0 {
		t.Fatalf("%s: nothing to validate in %v", format, sortedKeys(files))
	}
	if out, ok := xmllint(t, itemsXSD, writeTemp(t, files, items...)...); !ok {
		t.Errorf("%s: QTI files do not validate:\n%s", format, out)
	}
	for _, xsd := range []string{cpXSD, filepath.Join(schemas, "cp", "imscp_v1p1.xsd")} {
		if out, ok := xmllint(t, xsd, writeTemp(t, files, "imsmanifest.xml")...); !ok {
			t.Errorf("%s: manifest does not validate against %s:\n%s", format, xsd, out)
		}
	}
}

// wellFormed fails the test if data is not well-formed XML.
func wellFormed(t *testing.T, name string, data []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Errorf("%s is not well-formed: %v", name, err)
			return
		}
	}
}

func TestSchemaQTI12(t *testing.T) {
	for _, opts := range []Options{{}, {IncludeFeedback: true, ShuffleAnswers: true}} {
		validateQTIPackage(t, "qti12-canvas", opts)
	}
}

func TestSchemaQTI21(t *testing.T) {
	for _, opts := range []Options{{}, {IncludeFeedback: true, ShuffleAnswers: true}} {
		validateQTIPackage(t, "qti21", opts)
	}
}

// TestSchemaValidatorRejects shows the validation above is real: the same
// xmllint call fails on documents that break each schema.
func TestSchemaValidatorRejects(t *testing.T) {
	schemas := schemasDir(t)
	quiz := fixture(t)
	qti12, _ := qti12Files(t, render(t, quiz, "qti12-canvas", Options{}))
	qti21 := unzip(t, render(t, quiz, "qti21", Options{}).Data)
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
	f := render(t, fixture(t), "moodle-xml", Options{IncludeFeedback: true})
	wellFormed(t, f.Name, f.Data)
}
