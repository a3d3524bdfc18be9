package generate_test

import (
	"testing"

	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/offline"
	"github.com/quizflow/quizflow/internal/quizflow"
)

var prose = []quizflow.Page{
	{Number: 1, Text: `Photosynthesis is the process by which green plants convert light energy into chemical energy. It takes place mainly in the chloroplasts of leaf cells. Chlorophyll, the green pigment in chloroplasts, absorbs red and blue light most strongly.

The light-dependent reactions occur in the thylakoid membranes and produce ATP and NADPH. Water molecules are split during these reactions, releasing oxygen as a by-product.`},
	{Number: 2, Text: `The Calvin cycle takes place in the stroma of the chloroplast. In this cycle the enzyme Rubisco fixes carbon dioxide into organic molecules. The cycle uses the ATP and NADPH made by the light-dependent reactions to build glucose.

Plants in hot, dry climates often use C4 or CAM photosynthesis. These pathways reduce water loss and limit photorespiration, which wastes energy when Rubisco binds oxygen instead of carbon dioxide.`},
	{Number: 3, Text: `Cellular respiration releases the energy stored in glucose. Glycolysis happens in the cytoplasm and splits glucose into two molecules of pyruvate. The Krebs cycle takes place in the mitochondrial matrix and produces carbon dioxide.

The electron transport chain in the inner mitochondrial membrane makes most of the ATP. Oxygen is the final electron acceptor of the chain and combines with hydrogen to form water.`},
	{Number: 4, Text: `Fermentation lets cells make ATP without oxygen. Yeast cells ferment sugar into ethanol and carbon dioxide, which is why bread dough rises. Muscle cells produce lactic acid during intense exercise when oxygen runs short.

Photosynthesis and respiration form a cycle in the biosphere: the oxygen released by plants is used by animals, and the carbon dioxide released by animals is used by plants.`},
}

// The offline model (no API key) goes through the same pipeline and checks.
func TestOfflineModelThroughPipeline(t *testing.T) {
	pipe, err := generate.New(generate.Config{Model: offline.Model{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, types := range [][]string{
		{quizflow.MultipleChoice},
		{quizflow.MultipleChoice, quizflow.TrueFalse, quizflow.FillInBlank, quizflow.ShortAnswer},
	} {
		opts := quizflow.GenerateOptions{QuestionCount: 6, QuestionTypes: types, Language: "en"}
		res, err := generate1(t, &bundle{pipe: pipe}, generate.Request{JobID: "offline", Pages: prose, Options: opts})
		if err != nil {
			t.Fatal(err)
		}
		assertQuiz(t, res, prose, 6)
		if res.Usage.CostUSD != 0 || res.Usage.Model != offline.Name {
			t.Errorf("offline usage = %+v", res.Usage)
		}
	}
}
