package generate

import (
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Price is what a model costs, in US dollars per million tokens.
type Price struct {
	InputPerMillion  float64
	OutputPerMillion float64
}

// DefaultPrices are OpenAI's list prices (standard tier, per 1M tokens) as
// published for these models in 2025. A model name matches the longest
// entry it starts with ("gpt-4o-mini-2024-07-18" is "gpt-4o-mini"). Models
// not listed (local servers) cost 0. Override or extend with
// Config.Prices when prices change.
var DefaultPrices = map[string]Price{
	"gpt-4o-mini":   {0.15, 0.60},
	"gpt-4o":        {2.50, 10.00},
	"gpt-4.1-nano":  {0.10, 0.40},
	"gpt-4.1-mini":  {0.40, 1.60},
	"gpt-4.1":       {2.00, 8.00},
	"gpt-4-turbo":   {10.00, 30.00},
	"gpt-3.5-turbo": {0.50, 1.50},
	"o3-mini":       {1.10, 4.40},
	"o4-mini":       {1.10, 4.40},
}

// priceOf finds model's price in table, then in DefaultPrices.
func priceOf(model string, table map[string]Price) (Price, bool) {
	m := strings.ToLower(model)
	for _, t := range []map[string]Price{table, DefaultPrices} {
		best, found := "", false
		for k := range t {
			if strings.HasPrefix(m, strings.ToLower(k)) && len(k) > len(best) {
				best, found = k, true
			}
		}
		if found {
			return t[best], true
		}
	}
	return Price{}, false
}

// Cost returns the dollar cost of u at model's price (0 when unknown).
func Cost(u quizflow.Usage, table map[string]Price) float64 {
	p, _ := priceOf(u.Model, table)
	return float64(u.PromptTokens)*p.InputPerMillion/1e6 + float64(u.CompletionTokens)*p.OutputPerMillion/1e6
}
