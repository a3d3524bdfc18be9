package qcheck_test

import (
	"testing"

	"github.com/quizflow/quizflow/internal/qcheck"
	"github.com/quizflow/quizflow/internal/quizflow"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"  Hello,   World!  ", "hello world"},
		{"Photo\u00adsynthesis", "photosynthesis"},
		{"“Quoted” ‘text’", "quoted text"},
		{"don’t  DON'T", "dont dont"},
		{"well‐known – well-known — well—known", "well known well known well known"},
		{"ﬁnal ﬂow", "final flow"},
		{"Œuvre Æther Straße", "oeuvre aether strasse"},
		{"Café naïve", "cafe naive"},
		{"Ｆｕｌｌ　ｗｉｄｔｈ", "full width"},
		{"-5 and −5 and 3-5", "-5 and -5 and 3 5"},
		{"2 + 2 = 4", "2 + 2 = 4"},
		{"l’eau est là", "leau est la"},
		{"光合作用。", "光合作用"},
		{"한국어 문장", "한국어 문장"},
		{"line\nbreak\ttab", "line break tab"},
	}
	for _, tt := range tests {
		if got := qcheck.Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var groundPages = []quizflow.Page{
	{Number: 1, Text: "Chapter 1\n\nPlants make food by photo-\nsynthesis. During photosynthesis, chlorophyll absorbs light energy,\nwhich is stored as chemical energy in glucose."},
	{Number: 2, Text: "The Water Cycle\n\nWater evaporates from oceans and lakes. It condenses into clouds and falls as precipitation."},
	{Number: 3, Text: "Die Photosynthese findet in den Chloroplasten statt. L’énergie lumineuse est captée par la chlorophylle."},
	{Number: 4, Text: "光合作用是植物利用光能把二氧化碳和水转化为葡萄糖的过程。"},
}

func TestGrounded(t *testing.T) {
	tests := []struct {
		name  string
		page  int
		quote string
		want  bool
	}{
		{"exact", 2, "Water evaporates from oceans and lakes.", true},
		{"case and punctuation", 2, "water EVAPORATES from oceans, and lakes", true},
		{"whitespace", 2, "It condenses   into\nclouds and falls", true},
		{"curly quotes around", 2, "“It condenses into clouds and falls as precipitation”", true},
		{"hyphenated across lines on page", 1, "Plants make food by photosynthesis.", true},
		{"hyphenated in quote", 1, "Plants make food by photo-\nsynthesis", true},
		{"line break inside quote", 1, "chlorophyll absorbs light energy, which is stored", true},
		{"ellipsis", 1, "chlorophyll absorbs light energy … stored as chemical energy", true},
		{"ellipsis out of order", 1, "stored as chemical energy ... chlorophyll absorbs light energy", false},
		{"accents and apostrophe", 3, "L'energie lumineuse est captee par la chlorophylle", true},
		{"german", 3, "Die Photosynthese findet in den Chloroplasten statt", true},
		{"cjk", 4, "植物利用光能把二氧化碳和水转化为葡萄糖", true},
		{"cjk trivial", 4, "光合作用", false},
		{"wrong page", 1, "Water evaporates from oceans and lakes.", false},
		{"missing page", 9, "Water evaporates from oceans and lakes.", false},
		{"fabricated", 2, "Water evaporates mostly from rivers and ponds.", false},
		{"altered word", 2, "Water evaporates from seas and lakes.", false},
		{"trivial quote", 2, "Water", false},
		{"short quote under limits", 2, "from oceans", false},
		{"four words", 2, "It condenses into clouds", true},
		{"empty", 2, "", false},
		{"only ellipsis", 2, "...", false},
	}
	g := qcheck.NewGrounder(groundPages)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := quizflow.Question{Source: quizflow.Source{Page: tt.page, Quote: tt.quote}}
			if got := qcheck.Grounded(q, groundPages); got != tt.want {
				t.Errorf("Grounded() = %v, want %v", got, tt.want)
			}
			if got := g.Grounded(q); got != tt.want {
				t.Errorf("Grounder.Grounded() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFindQuote(t *testing.T) {
	tests := []struct {
		quote string
		page  int
		ok    bool
	}{
		{"Water evaporates from oceans and lakes", 2, true},
		{"plants make food by photosynthesis", 1, true},
		{"Photosynthese findet in den Chloroplasten statt", 3, true},
		{"Water evaporates from rivers and lakes", 0, false},
		{"lakes", 0, false},
	}
	for _, tt := range tests {
		page, ok := qcheck.FindQuote(tt.quote, groundPages)
		if page != tt.page || ok != tt.ok {
			t.Errorf("FindQuote(%q) = %d, %v; want %d, %v", tt.quote, page, ok, tt.page, tt.ok)
		}
	}
}
