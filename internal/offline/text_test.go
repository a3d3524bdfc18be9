package offline

import (
	"strings"
	"testing"
)

func TestSplitSentences(t *testing.T) {
	text := "Chapter 3\nPhotosynthesis\n\nPlants make food by photo-\nsynthesis. Dr. Smith and J. Doe studied it, e.g. in maize.\n" +
		"It needs light (see Fig. 2). Water boils at 100 °C. The value 3.5 is small.\n\n- a list item\nDas ist „gut.“ Und dann? Fertig!\n光合作用很重要。植物需要光。"
	var got []string
	for _, s := range splitSentences(7, text) {
		if s.page != 7 || !strings.Contains(text, s.raw) {
			t.Errorf("sentence %q: page %d, not verbatim", s.raw, s.page)
		}
		got = append(got, s.clean)
	}
	want := []string{
		"Photosynthesis", // a heading of its own: kept, but never usable
		"Plants make food by photosynthesis.",
		"Dr. Smith and J. Doe studied it, e.g. in maize.",
		"It needs light (see Fig. 2).",
		"Water boils at 100 °C.",
		"The value 3.5 is small.",
		"- a list item Das ist „gut.“",
		"Und dann?",
		"Fertig!",
		"光合作用很重要。",
		"植物需要光。",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sentences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestUsable(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"Plants take in carbon dioxide from the air through tiny pores called stomata.", true},
		{"Plants take in carbon dioxide.", false}, // too short
		{"Do plants take in carbon dioxide from the air through tiny pores called stomata?", false},
		{"- Plants take in carbon dioxide from the air through tiny pores called stomata.", false},
		{"see Campbell et al. for the details of how plants take in carbon dioxide from air.", false},
		{"Campbell, N. A. (2020). Biology, 12th edition, Pearson, pp. 120-140, https://doi.org/10.1000/x.", false},
		{"Plants take in carbon dioxide from the air through tiny pores called stomata", false},
		{strings.Repeat("Plants take in carbon dioxide, ", 12) + "through stomata.", false}, // too long
		{"光合作用是绿色植物利用光能把二氧化碳和水转化为葡萄糖的过程。", true},
	}
	for _, tt := range tests {
		s := sentence{raw: tt.s, clean: cleanText(tt.s)}
		s.toks = tokenize(s.clean)
		if got := usable(s); got != tt.want {
			t.Errorf("usable(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestTokenizeElision(t *testing.T) {
	var keys []string
	for _, tk := range tokenize("L’énergie de l'eau qu’il well-known don't") {
		keys = append(keys, tk.key)
	}
	if got, want := strings.Join(keys, " "), "l energie de l eau qu il wellknown dont"; got != want {
		t.Errorf("tokens %q, want %q", got, want)
	}
}
