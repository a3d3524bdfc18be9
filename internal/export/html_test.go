package export

import (
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// node is an element of a parsed HTML page.
type node struct {
	tag      string
	attrs    map[string]string
	children []*node
	text     string // for text nodes (tag == "")
}

// parseHTML reads the page with encoding/xml in its lenient HTML mode.
func parseHTML(t *testing.T, data []byte) *node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	root := &node{tag: "#root"}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("html: %v", err)
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{tag: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			top.children = append(top.children, &node{text: string(tok)})
		}
	}
	return root
}

// all returns the descendants of n with the class c, in document order.
func (n *node) all(c string) []*node {
	var out []*node
	for _, ch := range n.children {
		if ch.tag != "" && strings.Contains(" "+ch.attrs["class"]+" ", " "+c+" ") {
			out = append(out, ch)
		}
		out = append(out, ch.all(c)...)
	}
	return out
}

// first returns the first descendant with class c, or nil.
func (n *node) first(c string) *node {
	if all := n.all(c); len(all) > 0 {
		return all[0]
	}
	return nil
}

// textOf returns the text inside n.
func (n *node) textOf() string {
	if n == nil {
		return ""
	}
	if n.tag == "" {
		return n.text
	}
	var b strings.Builder
	for _, ch := range n.children {
		b.WriteString(ch.textOf())
	}
	return b.String()
}

// readHTML reads the questions and the answer key of the printable page.
func readHTML(t *testing.T, data []byte) (title string, out []parsed) {
	t.Helper()
	root := parseHTML(t, data)
	title = root.first("title").textOf()
	questions := root.all("question")
	keys := root.all("key")
	if len(keys) != len(questions) {
		t.Fatalf("html: %d questions, %d answer-key entries", len(questions), len(keys))
	}
	for i, q := range questions {
		if keys[i].attrs["value"] != q.attrs["value"] {
			t.Errorf("html: answer key %s for question %s", keys[i].attrs["value"], q.attrs["value"])
		}
		p := parsed{Type: q.attrs["data-type"], Prompt: q.first("prompt").textOf()}
		p.Points = strings.TrimSuffix(strings.TrimPrefix(q.first("points").textOf(), "("), " pt)")
		p.Feedback = keys[i].first("explanation").textOf()
		var lines []string
		for _, l := range keys[i].all("key-line") {
			lines = append(lines, l.textOf())
		}
		switch p.Type {
		case quizflow.MultipleChoice, quizflow.MultipleAnswer, quizflow.TrueFalse:
			correct := map[string]bool{}
			for _, l := range lines {
				correct[l] = true
			}
			for j, o := range q.all("option") {
				text := o.textOf()
				p.Options = append(p.Options, parsedOption{text, correct[letter(j)+". "+text]})
			}
		case quizflow.Matching:
			rights := map[string]string{}
			for j, r := range q.all("right") {
				rights[letter(j)] = r.textOf()
			}
			for j, l := range q.all("left") {
				left := strings.TrimPrefix(l.textOf(), strconv.Itoa(j+1)+". ")
				key := lines[j]
				if !strings.HasPrefix(key, left+" → ") {
					t.Fatalf("html: key %q does not start with %q", key, left)
				}
				rest := strings.TrimPrefix(key, left+" → ")
				l, right, _ := strings.Cut(rest, ". ")
				if rights[l] != right {
					t.Errorf("html: key letter %s is %q, key says %q", l, rights[l], right)
				}
				p.Pairs = append(p.Pairs, quizflow.Pair{Left: left, Right: right})
			}
		default:
			p.Answers = lines
		}
		out = append(out, p)
	}
	return title, out
}

func TestHTMLParseBack(t *testing.T) {
	quiz := fixture(t)
	f := render(t, quiz, "html", parseBackOptions)
	title, got := readHTML(t, f.Data)
	if title != quiz.Title {
		t.Errorf("title = %q, want %q", title, quiz.Title)
	}
	checkParsed(t, "html", got, want(quiz, parseBackOptions, expectation{points: true, feedback: true, essayAnswers: true}))
	// Markup in the quiz shows as text: no tag from the quiz reaches the page.
	for _, bad := range []string{"<b>", "<script>", "<w>", "<Special>"} {
		if bytes.Contains(f.Data, []byte(bad)) {
			t.Errorf("page holds raw %s", bad)
		}
	}
}
