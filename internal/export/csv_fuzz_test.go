package export

import (
	"testing"
	"unicode/utf8"
)

// FuzzCellNeutraliser checks spreadsheetCell against the rule as
// startsFormula writes it: the result never starts like a formula, safe
// text comes back unchanged, dangerous text gets exactly one leading ', and
// valid UTF-8 stays valid. Run it with
//
//	go test -run '^$' -fuzz FuzzCellNeutraliser -fuzztime 20s ./internal/export/
func FuzzCellNeutraliser(f *testing.F) {
	for _, s := range []string{
		"", "plain", "=1+2", "+1", "-5", "@x", "\tx", "\rx", "'=1", "''",
		"\uFF1D1", "\uFF0B1", "\uFF0D1", "\uFF20x", "  =1", "\n-1", "\u00A0+1",
		"\u3000\uFF1D", "\u200B@", "\uFEFF=", " \tx", "   ", "a=b", "\xff=1",
		"=cmd|' /C calc'!A0", "\"=1\"",
	} {
		f.Add(s)
		for _, lead := range formulaLeads {
			f.Add(lead + s)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := spreadsheetCell(s)
		if startsFormula(out) {
			t.Fatalf("spreadsheetCell(%q) = %q starts like a formula", s, out)
		}
		if !startsFormula(s) && out != s {
			t.Fatalf("spreadsheetCell(%q) = %q, want it unchanged", s, out)
		}
		if startsFormula(s) && out != "'"+s {
			t.Fatalf("spreadsheetCell(%q) = %q, want one ' before it", s, out)
		}
		if again := spreadsheetCell(out); again != out {
			t.Fatalf("spreadsheetCell quoted twice: %q, then %q", out, again)
		}
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("spreadsheetCell(%q) = %q is not valid UTF-8", s, out)
		}
	})
}
