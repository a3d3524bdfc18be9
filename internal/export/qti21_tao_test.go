package export

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// This file reads a QTI 2.1 package the way TAO does, written from its
// source (oat-sa/extension-tao-itemqti: model/qti/Resource.php for the
// manifest resource types it takes, model/qti/ParserFactory.php
// buildResponseProcessing for how response processing is kept, and
// buildFeedback for modal feedback), not from our writer. TAO validates
// each item against the QTI XSD of its namespace (Parser::validate; our
// schema tests do the same with xmllint), keeps a response processing it
// cannot name as a template as "custom" rules verbatim, and its delivery
// engine runs those rules. So this reader scores each item by running its
// response processing on candidate responses, with the subset of QTI 2.1
// expressions a package may hold; an expression outside that subset fails
// the test rather than being guessed at.

// taoItemTypes and taoTestTypes are the resource types TAO imports
// (Resource.php).
var (
	taoItemTypes = []string{"imsqti_item_xmlv2p0", "imsqti_item_xmlv2p1", "imsqti_item_xmlv2p2", "imsqti_apipitemroot_xmlv2p1"}
	taoTestTypes = []string{"imsqti_test_xmlv2p1", "imsqti_test_xmlv2p2", "imsqti_assessment_xmlv2p1", "imsqti_apiptestroot_xmlv2p1", "imsqti_apipsectionroot_xmlv2p1", "imsqti_test_xmlv3p0"}
)

// taoTemplates are the standard templates TAO names (Template.php).
var taoTemplates = []string{
	"http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct",
	"http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response",
	"http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response_point",
}

// qvalue is a QTI value: NULL, a number, a boolean, or a container of
// strings (single cardinality holds one).
type qvalue struct {
	null  bool
	num   *float64
	boolv *bool
	card  string
	vals  []string
}

func qnum(f float64) qvalue { return qvalue{num: &f} }
func qbool(b bool) qvalue   { return qvalue{boolv: &b} }

// qtiEngine runs one item's response processing.
type qtiEngine struct {
	t        *testing.T
	decls    map[string]*cnode // responseDeclaration by identifier
	outcomes map[string]qvalue
	resp     map[string]qvalue
}

func newQTIEngine(t *testing.T, item *cnode) *qtiEngine {
	e := &qtiEngine{t: t, decls: map[string]*cnode{}, outcomes: map[string]qvalue{}, resp: map[string]qvalue{}}
	for _, d := range item.kids("responseDeclaration") {
		e.decls[d.Attr["identifier"]] = d
	}
	for _, o := range item.kids("outcomeDeclaration") {
		v := qvalue{null: true}
		if dv := o.one("defaultValue"); dv != nil {
			v = e.typed(o.Attr["baseType"], strings.TrimSpace(dv.one("value").text()))
		}
		e.outcomes[o.Attr["identifier"]] = v
	}
	return e
}

func (e *qtiEngine) typed(baseType, s string) qvalue {
	switch baseType {
	case "float", "integer":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			e.t.Fatalf("tao: %s value %q: %v", baseType, s, err)
		}
		return qnum(f)
	case "boolean":
		return qbool(s == "true")
	}
	return qvalue{card: "single", vals: []string{s}}
}

// run executes the item's responseProcessing with the given responses and
// returns the outcomes.
func (e *qtiEngine) run(item *cnode, responses map[string]qvalue) map[string]qvalue {
	saved := map[string]qvalue{}
	for k, v := range e.outcomes {
		saved[k] = v
	}
	defer func() { e.outcomes = saved }()
	e.resp = responses
	rp := item.one("responseProcessing")
	switch {
	case rp == nil:
	case rp.Attr["template"] != "" && len(elements(rp)) == 0:
		e.template(rp.Attr["template"])
	default:
		e.rules(elements(rp))
	}
	out := map[string]qvalue{}
	for k, v := range e.outcomes {
		out[k] = v
	}
	return out
}

// template runs a standard response processing template as the QTI 2.1
// specification's rptemplates define it (on RESPONSE and SCORE).
func (e *qtiEngine) template(uri string) {
	d := e.decls["RESPONSE"]
	if d == nil {
		e.t.Fatalf("tao: template %s needs a RESPONSE declaration", uri)
	}
	resp, ok := e.resp["RESPONSE"]
	null := !ok || resp.null || len(resp.vals) == 0
	switch uri[strings.LastIndex(uri, "/")+1:] {
	case "match_correct":
		score := 0.0
		if !null && sameValues(resp, correctValue(d)) {
			score = 1
		}
		e.outcomes["SCORE"] = qnum(score)
	case "map_response":
		score := 0.0
		if !null {
			score = mapResponse(e.t, d, resp)
		}
		e.outcomes["SCORE"] = qnum(score)
	default:
		e.t.Fatalf("tao: template %s is outside this reader's subset", uri)
	}
}

func elements(n *cnode) []*cnode {
	var out []*cnode
	for _, k := range n.Children {
		if k.Name != "" {
			out = append(out, k)
		}
	}
	return out
}

// rules runs response rules; it reports false after exitResponse.
func (e *qtiEngine) rules(rs []*cnode) bool {
	for _, r := range rs {
		switch r.Name {
		case "setOutcomeValue":
			e.outcomes[r.Attr["identifier"]] = e.expr(elements(r)[0])
		case "responseCondition":
			for _, branch := range elements(r) {
				kids := elements(branch)
				if branch.Name == "responseElse" {
					if !e.rules(kids) {
						return false
					}
					break
				}
				if b := e.expr(kids[0]); b.boolv != nil && *b.boolv {
					if !e.rules(kids[1:]) {
						return false
					}
					break
				}
			}
		case "exitResponse":
			return false
		default:
			e.t.Fatalf("tao: response rule <%s> is outside this reader's QTI subset", r.Name)
		}
	}
	return true
}

func (e *qtiEngine) expr(x *cnode) qvalue {
	args := elements(x)
	switch x.Name {
	case "baseValue":
		v := e.typed(x.Attr["baseType"], strings.TrimSpace(x.text()))
		return v
	case "variable":
		id := x.Attr["identifier"]
		if v, ok := e.resp[id]; ok {
			return v
		}
		if v, ok := e.outcomes[id]; ok {
			return v
		}
		if _, ok := e.decls[id]; ok {
			return qvalue{null: true}
		}
		e.t.Fatalf("tao: variable %q is not declared", id)
	case "correct":
		d := e.decls[x.Attr["identifier"]]
		if d == nil {
			e.t.Fatalf("tao: correct: no response %q", x.Attr["identifier"])
		}
		return correctValue(d)
	case "isNull":
		v := e.expr(args[0])
		return qbool(v.null || (v.num == nil && v.boolv == nil && len(v.vals) == 0))
	case "not":
		v := e.expr(args[0])
		if v.boolv == nil {
			return qvalue{null: true}
		}
		return qbool(!*v.boolv)
	case "and", "or":
		res := x.Name == "and"
		for _, a := range args {
			v := e.expr(a)
			if v.boolv == nil {
				return qvalue{null: true}
			}
			if x.Name == "and" {
				res = res && *v.boolv
			} else {
				res = res || *v.boolv
			}
		}
		return qbool(res)
	case "match":
		a, b := e.expr(args[0]), e.expr(args[1])
		if a.null || b.null {
			return qvalue{null: true}
		}
		return qbool(sameValues(a, b))
	case "sum":
		total := 0.0
		for _, a := range args {
			v := e.expr(a)
			if v.num == nil {
				return qvalue{null: true}
			}
			total += *v.num
		}
		return qnum(total)
	case "mapResponse":
		d := e.decls[x.Attr["identifier"]]
		if d == nil {
			e.t.Fatalf("tao: mapResponse: no response %q", x.Attr["identifier"])
		}
		return qnum(mapResponse(e.t, d, e.resp[x.Attr["identifier"]]))
	}
	e.t.Fatalf("tao: expression <%s> is outside this reader's QTI subset", x.Name)
	return qvalue{}
}

func correctValue(d *cnode) qvalue {
	cr := d.one("correctResponse")
	if cr == nil {
		return qvalue{null: true}
	}
	v := qvalue{card: d.Attr["cardinality"]}
	for _, val := range cr.kids("value") {
		v.vals = append(v.vals, strings.TrimSpace(val.text()))
	}
	return v
}

// sameValues is QTI's match: equal single values, equal sets for multiple
// cardinality, equal sequences for ordered.
func sameValues(a, b qvalue) bool {
	if a.num != nil || b.num != nil {
		return a.num != nil && b.num != nil && *a.num == *b.num
	}
	if a.card == "ordered" {
		return slices.Equal(a.vals, b.vals)
	}
	x, y := slices.Clone(a.vals), slices.Clone(b.vals)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// mapResponse is QTI 2.1's mapResponse: each distinct value of the
// response looked up in the mapping (mapEntry caseSensitive, default
// true), the default value for the unmapped, the sum clamped to the
// bounds.
func mapResponse(t *testing.T, d *cnode, resp qvalue) float64 {
	m := d.one("mapping")
	if m == nil {
		t.Fatalf("tao: mapResponse on response %q without a mapping", d.Attr["identifier"])
	}
	attr := func(n *cnode, name string, def float64) float64 {
		s, ok := n.Attr[name]
		if !ok {
			return def
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("tao: mapping %s=%q: %v", name, s, err)
		}
		return f
	}
	def := attr(m, "defaultValue", 0)
	seen := map[string]bool{}
	total := 0.0
	for _, v := range resp.vals {
		if seen[v] {
			continue
		}
		seen[v] = true
		value, found := def, false
		for _, me := range m.kids("mapEntry") {
			key := me.Attr["mapKey"]
			hit := key == v
			if me.Attr["caseSensitive"] == "false" {
				hit = strings.EqualFold(key, v)
			}
			if hit && !found {
				value, found = attr(me, "mappedValue", 0), true
			}
		}
		total += value
	}
	total = math.Max(total, attr(m, "lowerBound", math.Inf(-1)))
	return math.Min(total, attr(m, "upperBound", math.Inf(1)))
}

// teText is an element's text as a reader shows it: text with <br/> as a
// line break, trimmed.
func teText(n *cnode) string {
	var b strings.Builder
	var walk func(*cnode)
	walk = func(c *cnode) {
		for _, k := range c.Children {
			switch {
			case k.Name == "":
				b.WriteString(k.Text)
			case k.Name == "br":
				b.WriteString("\n")
			default:
				walk(k)
			}
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

// taoRPKind is how TAO's buildResponseProcessing keeps an item's rules: a
// named template (a template URI and no rules), or custom rules kept
// verbatim and run by the engine. (TAO's "template driven" forms need
// rules of its own authoring shapes, which imported packages do not have;
// the engine runs them the same way.)
func taoRPKind(t *testing.T, rp *cnode) string {
	if rp == nil {
		return "none"
	}
	if uri := rp.Attr["template"]; uri != "" && len(elements(rp)) == 0 {
		if !slices.Contains(taoTemplates, uri) {
			t.Errorf("tao: unknown response processing template %q", uri)
		}
		return "template"
	}
	return "custom"
}

// readTAO reads the package: the test's item references in order, each
// item scored by running its response processing.
func readTAO(t *testing.T, files map[string][]byte) []parsed {
	t.Helper()
	manifest := parseDOM(t, files["imsmanifest.xml"])
	var testHref string
	items := map[string]bool{}
	for _, r := range manifest.all("resource") {
		typ := r.Attr["type"]
		switch {
		case slices.Contains(taoItemTypes, typ):
			if files[r.Attr["href"]] == nil {
				t.Errorf("tao: item resource %s names missing file %s", r.Attr["identifier"], r.Attr["href"])
			}
			items[r.Attr["href"]] = true
		case slices.Contains(taoTestTypes, typ):
			testHref = r.Attr["href"]
		default:
			t.Errorf("tao: resource %s has type %q, which TAO does not import", r.Attr["identifier"], typ)
		}
	}
	if testHref == "" {
		t.Fatal("tao: no assessment test resource in the manifest")
	}
	test := parseDOM(t, files[testHref])
	var out []parsed
	for _, ref := range test.all("assessmentItemRef") {
		href := ref.Attr["href"]
		if !items[href] {
			t.Errorf("tao: the test references %s, which the manifest does not list as an item", href)
			continue
		}
		out = append(out, taoItem(t, parseDOM(t, files[href]).one("assessmentItem")))
	}
	return out
}

func taoItem(t *testing.T, item *cnode) parsed {
	e := newQTIEngine(t, item)
	kind := taoRPKind(t, item.one("responseProcessing"))
	score := func(id string, v qvalue) float64 {
		s := e.run(item, map[string]qvalue{id: v})["SCORE"]
		if s.num == nil {
			return 0
		}
		return *s.num
	}
	var p parsed
	var full float64
	var respID string
	body := item.one("itemBody")
	switch {
	case body.one("choiceInteraction") != nil:
		ci := body.one("choiceInteraction")
		respID = ci.Attr["responseIdentifier"]
		d := e.decls[respID]
		correct := correctValue(d)
		full = score(respID, correct)
		choices := ci.kids("simpleChoice")
		if d.Attr["cardinality"] == "single" {
			p.Type = quizflow.MultipleChoice
			if len(choices) == 2 && strings.EqualFold(teText(choices[0]), "true") && strings.EqualFold(teText(choices[1]), "false") {
				p.Type = quizflow.TrueFalse
			}
			for _, c := range choices {
				s := score(respID, qvalue{card: "single", vals: []string{c.Attr["identifier"]}})
				p.Options = append(p.Options, parsedOption{teText(c), s == full && full > 0})
			}
		} else {
			p.Type = quizflow.MultipleAnswer
			for _, c := range choices {
				id := c.Attr["identifier"]
				in := slices.Contains(correct.vals, id)
				if !in {
					// A wrong option added to the correct set must cost points.
					with := qvalue{card: "multiple", vals: append(slices.Clone(correct.vals), id)}
					if score(respID, with) >= full {
						t.Errorf("tao: item %s: choosing wrong option %s with the right ones still scores %v", item.Attr["identifier"], id, full)
					}
				}
				p.Options = append(p.Options, parsedOption{teText(c), in})
			}
		}
	case body.one("matchInteraction") != nil:
		mi := body.one("matchInteraction")
		respID = mi.Attr["responseIdentifier"]
		sets := mi.kids("simpleMatchSet")
		texts := map[string]string{}
		for _, s := range sets {
			for _, c := range s.kids("simpleAssociableChoice") {
				texts[c.Attr["identifier"]] = teText(c)
			}
		}
		correct := correctValue(e.decls[respID])
		full = score(respID, correct)
		p.Type = quizflow.Matching
		for _, pair := range correct.vals {
			l, r, _ := strings.Cut(pair, " ")
			p.Pairs = append(p.Pairs, quizflow.Pair{Left: texts[l], Right: texts[r]})
		}
		if len(correct.vals) >= 2 {
			// Swap two right-hand sides: fewer points.
			l1, r1, _ := strings.Cut(correct.vals[0], " ")
			l2, r2, _ := strings.Cut(correct.vals[1], " ")
			swapped := slices.Clone(correct.vals)
			swapped[0], swapped[1] = l1+" "+r2, l2+" "+r1
			if score(respID, qvalue{card: "multiple", vals: swapped}) >= full {
				t.Errorf("tao: item %s: a wrong matching scores full points", item.Attr["identifier"])
			}
		}
	case body.one("textEntryInteraction") != nil:
		te := body.one("textEntryInteraction")
		respID = te.Attr["responseIdentifier"]
		d := e.decls[respID]
		// Fill in the blank: the box sits inside the sentence; short
		// answer: the box is a paragraph of its own.
		p.Type = quizflow.ShortAnswer
		for _, para := range body.all("p") {
			if para.one("textEntryInteraction") != nil && strings.TrimSpace(para.text()) != "" {
				p.Type = quizflow.FillInBlank
			}
		}
		correct := correctValue(d)
		for _, v := range correct.vals {
			s := score(respID, qvalue{card: "single", vals: []string{v}})
			full = math.Max(full, s)
		}
		for _, v := range correct.vals {
			if score(respID, qvalue{card: "single", vals: []string{v}}) == full {
				p.Answers = append(p.Answers, v)
			} else {
				t.Errorf("tao: item %s: correct response %q does not score full points", item.Attr["identifier"], v)
			}
		}
		if m := d.one("mapping"); m != nil {
			for _, me := range m.kids("mapEntry") {
				k := me.Attr["mapKey"]
				if score(respID, qvalue{card: "single", vals: []string{k}}) == full && !slices.Contains(correct.vals, k) {
					t.Errorf("tao: item %s: mapped answer %q scores full points but is not a correct response", item.Attr["identifier"], k)
				}
			}
		}
		if score(respID, qvalue{card: "single", vals: []string{"certainly not the answer"}}) != 0 {
			t.Errorf("tao: item %s: a wrong answer scores points", item.Attr["identifier"])
		}
	case body.one("extendedTextInteraction") != nil:
		respID = body.one("extendedTextInteraction").Attr["responseIdentifier"]
		p.Type = quizflow.Essay
		// Scored by hand: the item's maximum is MAXSCORE.
		if m := e.outcomes["MAXSCORE"]; m.num != nil {
			full = *m.num
		}
	default:
		t.Fatalf("tao: item %s has no interaction this reader knows", item.Attr["identifier"])
	}
	if m := e.outcomes["MAXSCORE"]; m.num == nil || *m.num != full {
		t.Errorf("tao: item %s: the correct response scores %v but MAXSCORE is %v", item.Attr["identifier"], full, m)
	}
	p.Points = formatPoints(full)
	// Feedback: the modalFeedback whose identifier the outcome holds after
	// the attempt (shown with showHide="show"), right answer or none.
	for _, resp := range []map[string]qvalue{{}, {respID: correctValue(e.decls[respID])}} {
		outs := e.run(item, resp)
		fb := ""
		for _, mf := range item.kids("modalFeedback") {
			v := outs[mf.Attr["outcomeIdentifier"]]
			shown := len(v.vals) > 0 && v.vals[0] == mf.Attr["identifier"]
			if mf.Attr["showHide"] == "hide" {
				shown = !shown
			}
			if shown {
				fb = teText(mf)
			}
		}
		if len(resp) == 0 {
			p.Feedback = fb
		} else if fb != p.Feedback {
			t.Errorf("tao: item %s: feedback differs between an empty and a right answer: %q vs %q", item.Attr["identifier"], p.Feedback, fb)
		}
	}
	t.Logf("tao: item %s: %s response processing, %s, %s points", item.Attr["identifier"], kind, p.Type, p.Points)
	return p
}

func TestQTI21AsTAOImports(t *testing.T) {
	quiz := fixture(t)
	f := render(t, quiz, "qti21", parseBackOptions)
	got := readTAO(t, unzip(t, f.Data))
	exp := want(quiz, parseBackOptions, expectation{points: true, feedback: true})
	// The prompt is the item body as TAO renders it; Canvas's reader and
	// the parse-back test check its text. This reader checks what the
	// engine decides: type, points, options and which are right, every
	// accepted answer, pairs and feedback.
	for i := range exp {
		exp[i].Prompt = ""
	}
	checkParsed(t, "qti21 as TAO reads it", got, exp)
	if len(got) == 0 {
		t.Fatalf("tao: no items read from %s", f.Name)
	}
}
