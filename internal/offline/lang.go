package offline

import "strings"

// phrases are the fixed words an offline question is framed with. The
// sentences themselves are always the document's own; only this frame is
// translated, for the few languages below, and is English otherwise.
type phrases struct {
	complete string // prompt of a cloze question; %s is the sentence with a blank
	defined  string // prompt when the blank is the subject of a definition
	says     string // explanation; %d is the page, %s the sentence
	isTrue   string // first word of a true statement's explanation
	isFalse  string
}

var languages = map[string]phrases{
	"en": {"Which term completes the sentence? “%s”", "Which term is described here? “%s”", "The text says (page %d): “%s”", "True.", "False."},
	"fr": {"Quel terme complète la phrase ? « %s »", "Quel terme est décrit ici ? « %s »", "Le texte dit (page %d) : « %s »", "Vrai.", "Faux."},
	"de": {"Welcher Begriff vervollständigt den Satz? „%s“", "Welcher Begriff wird hier beschrieben? „%s“", "Im Text steht (Seite %d): „%s“", "Richtig.", "Falsch."},
	"es": {"¿Qué término completa la oración? «%s»", "¿Qué término se describe aquí? «%s»", "El texto dice (página %d): «%s»", "Verdadero.", "Falso."},
}

// languageMarkers are frequent words that tell the languages apart.
var languageMarkers = map[string]map[string]struct{}{
	"en": set("the and of is are which to in that"),
	"fr": set("le la les des est et une du dans sont"),
	"de": set("der die das und ist ein eine nicht sind mit"),
	"es": set("el los las es y una del en son por"),
}

// pickLanguage returns the code of the frame to use: the requested
// language when it is one of ours, else the language the sentences look
// like, else English.
func pickLanguage(requested string, sents []sentence) string {
	r := strings.ToLower(strings.TrimSpace(requested))
	for code, names := range map[string][]string{
		"en": {"en", "eng", "english"},
		"fr": {"fr", "fra", "fre", "french", "français", "francais"},
		"de": {"de", "deu", "ger", "german", "deutsch"},
		"es": {"es", "spa", "spanish", "español", "espanol"},
	} {
		for _, n := range names {
			if r == n || strings.HasPrefix(r, n+"-") || strings.HasPrefix(r, n+"_") {
				return code
			}
		}
	}
	if r != "" && r != "auto" {
		return "en"
	}
	best, bestHits := "en", 0
	for _, code := range []string{"en", "fr", "de", "es"} {
		hits := 0
		for _, s := range sents {
			for _, t := range s.toks {
				if _, ok := languageMarkers[code][t.key]; ok {
					hits++
				}
			}
		}
		if hits > bestHits {
			best, bestHits = code, hits
		}
	}
	return best
}

// definitionVerbs follow the subject of a definition ("Photosynthesis is
// the process...").
var definitionVerbs = set("is are means refers describes est sont designe signifie ist sind bezeichnet bedeutet es son significa")
