package extract

import (
	"reflect"

	"github.com/ledongthuc/pdf"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// objectKey identifies a page tree node for pdfPages' cycle check.
//
// ledongthuc/pdf has no cache and no object number accessor: every Key or
// Index re-parses the object into a new map, so map pointers cannot serve as
// identity. A pdf.Value does carry, unexported, the reference of the
// indirect object it was read from (for a direct object, that of the object
// containing it); reflection reads it as id and gen. The shallow text of the
// dictionary (Value.String, which prints references as "n g R" and sorts
// keys) tells apart direct dictionaries inside one object, and a node that
// lists itself repeats both. If the library ever drops the field, id and gen
// stay 0 and the text alone is the key: still catches every cycle, and only
// two byte-identical page dictionaries would be taken for one.
type objectKey struct {
	id, gen uint64
	text    string
}

func keyOf(v pdf.Value) objectKey {
	k := objectKey{text: v.String()}
	if ptr := reflect.ValueOf(v).FieldByName("ptr"); ptr.IsValid() && ptr.Kind() == reflect.Struct && ptr.NumField() == 2 {
		id, gen := ptr.Field(0), ptr.Field(1)
		if isUint(id) && isUint(gen) {
			k.id, k.gen = id.Uint(), gen.Uint()
		}
	}
	return k
}

func isUint(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func brokenTree() *quizflow.Error {
	return quizflow.Errorf(quizflow.ECORRUPT, "The PDF's page tree is broken (a page or node is listed twice).")
}

// pageResources is Page.Resources with a bound: the library follows /Parent
// links until one is missing, so a page whose /Parent chain loops (a page
// that is its own parent) would spin forever, out of reach of the timeout.
// A chain longer than maxTreeDepth is such a loop; it aborts the document
// as a broken page tree.
func pageResources(p pdf.Page) pdf.Value {
	v := p.V
	for range maxTreeDepth + 1 {
		if v.IsNull() {
			return pdf.Value{}
		}
		if r := v.Key("Resources"); !r.IsNull() {
			return r
		}
		v = v.Key("Parent")
	}
	panic(abortError{brokenTree()})
}
