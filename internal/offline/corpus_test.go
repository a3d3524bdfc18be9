package offline_test

import "github.com/quizflow/quizflow/internal/quizflow"

// biology is five pages of textbook prose, as a PDF extractor returns it:
// headings, wrapped lines, a word hyphenated across lines, a list and a
// reference.
var biology = []quizflow.Page{
	{Number: 1, Text: `Chapter 3
Photosynthesis

Photosynthesis is the process by which green plants convert light energy into chemical energy stored in glucose.
The process takes place mainly in the leaves, inside small organelles called chloroplasts. Each chloroplast contains
stacks of thylakoids, and the thylakoid membranes hold the green pigment chlorophyll. Chlorophyll absorbs red and
blue light most strongly and reflects green light, which is why leaves look green to the human eye.
Plants take in carbon dioxide from the air through tiny pores called stomata on the underside of the leaves.
Water is absorbed by the roots and carried up to the leaves through the xylem vessels of the stem.`},
	{Number: 2, Text: `3.1 The Light-Dependent Reactions

The light-dependent reactions take place in the thylakoid membranes of the chloroplast. In these reactions,
chlorophyll captures the energy of sunlight and uses it to split water molecules into hydrogen and oxygen.
The oxygen is released into the atmosphere as a by-product, which is the source of almost all the oxygen
we breathe. The captured energy is stored temporarily in two carrier molecules, ATP and NADPH, which then
move into the stroma. Scientists call this splitting of water photo-
lysis, and it happens only when light is available.

Key facts:
- ATP carries energy
- NADPH carries electrons`},
	{Number: 3, Text: `3.2 The Calvin Cycle

The Calvin Cycle takes place in the stroma, the fluid that surrounds the thylakoids inside the chloroplast.
During the Calvin Cycle, the enzyme Rubisco fixes carbon dioxide from the air onto a five-carbon sugar.
The energy stored in ATP and NADPH is used to turn the fixed carbon into glucose, a simple sugar.
Glucose can be stored as starch in the leaves or transported to other parts of the plant as sucrose.
Because it does not need light directly, the Calvin Cycle is sometimes called the light-independent stage.
Rubisco is thought to be the most abundant protein on Earth, since every green plant depends on it.`},
	{Number: 4, Text: `3.3 Factors Affecting Photosynthesis

The rate of photosynthesis depends on light intensity, the concentration of carbon dioxide and temperature.
When light intensity is low, the light-dependent reactions slow down and less ATP and NADPH is produced.
Raising the concentration of carbon dioxide increases the rate until another factor becomes limiting.
Enzymes such as Rubisco work best at moderate temperatures and are damaged when the leaves become too hot.
Farmers in greenhouses often add carbon dioxide and extra light to increase the growth of their crops.`},
	{Number: 5, Text: `3.4 Cellular Respiration

Cellular respiration is the process by which cells break down glucose to release usable energy as ATP.
It takes place in the mitochondria of both plant and animal cells, and it uses oxygen and releases carbon dioxide.
In this way, respiration and photosynthesis form a cycle that links plants and animals through the atmosphere.
Animals depend on the oxygen released by plants, while plants use the carbon dioxide that animals breathe out.

References
Campbell, N. A. et al. (2020). Biology. 12th ed. Pearson. https://doi.org/10.1000/example`},
}

// waterCycle is a second subject.
var waterCycle = []quizflow.Page{
	{Number: 1, Text: `The Water Cycle

The water cycle describes how water moves continuously between the oceans, the atmosphere and the land.
Energy from the Sun heats the surface of oceans and lakes, and the warmed water turns into water vapour through evaporation.
Plants also release water vapour from their leaves in a process called transpiration.
As the water vapour rises, it cools and changes back into tiny droplets through condensation, forming clouds.`},
	{Number: 2, Text: `When the droplets in clouds join together and grow heavy, they fall to the ground as precipitation.
Precipitation can take the form of rain, snow, sleet or hail, depending on the temperature of the air.
Some of the water soaks into the ground through infiltration and becomes groundwater stored in aquifers.
The rest flows over the land as surface runoff and collects in rivers, lakes and eventually the oceans.
Glaciers and ice caps store large amounts of fresh water for thousands of years before it melts.`},
	{Number: 3, Text: `Human activity changes the water cycle in several ways. Cutting down forests reduces transpiration
and can make a region drier over time. Cities cover the ground with concrete, so less water soaks in
through infiltration and more becomes surface runoff, which can cause flooding. Pumping groundwater from
aquifers faster than precipitation refills them lowers the water table and can dry up wells and springs.`},
}

// french is French prose about the same subject.
var french = []quizflow.Page{
	{Number: 1, Text: `La photosynthèse est le processus par lequel les plantes vertes transforment l’énergie lumineuse en énergie chimique.
Elle se déroule principalement dans les feuilles, à l’intérieur de petits organites appelés chloroplastes.
La chlorophylle est le pigment vert qui absorbe la lumière rouge et bleue dans les chloroplastes.
Les plantes absorbent le dioxyde de carbone de l’air par de petits pores appelés stomates.`},
	{Number: 2, Text: `L’eau est absorbée par les racines et transportée jusqu’aux feuilles par le xylème de la tige.
Au cours de la photosynthèse, la chlorophylle capte l’énergie du soleil pour décomposer les molécules d’eau.
L’oxygène produit pendant la photosynthèse est libéré dans l’atmosphère par les stomates des feuilles.
Le glucose fabriqué par la plante peut être stocké sous forme d’amidon dans les racines et les feuilles.`},
}

// german is German prose.
var german = []quizflow.Page{
	{Number: 1, Text: `Die Photosynthese ist der Prozess, bei dem grüne Pflanzen Lichtenergie in chemische Energie umwandeln.
Sie findet vor allem in den Blättern statt, und zwar in kleinen Organellen, die man Chloroplasten nennt.
Das Chlorophyll ist der grüne Farbstoff, der in den Chloroplasten rotes und blaues Licht aufnimmt.
Die Pflanzen nehmen Kohlendioxid aus der Luft durch winzige Öffnungen auf, die Spaltöffnungen heißen.`},
	{Number: 2, Text: `Das Wasser wird von den Wurzeln aufgenommen und durch das Xylem in die Blätter transportiert.
Der Sauerstoff, der bei der Photosynthese entsteht, wird über die Spaltöffnungen an die Luft abgegeben.
Die Glukose, die in den Chloroplasten gebildet wird, kann als Stärke in den Wurzeln gespeichert werden.
Ohne das Chlorophyll in den Blättern könnten die Pflanzen das Sonnenlicht nicht für die Photosynthese nutzen.`},
}

// chinese is Chinese prose, written without spaces.
var chinese = []quizflow.Page{
	{Number: 1, Text: `光合作用是绿色植物利用光能把二氧化碳和水转化为葡萄糖并释放氧气的过程。光合作用主要发生在叶片的叶绿体中。叶绿素能够吸收红光和蓝光，并反射绿光。`},
	{Number: 2, Text: `植物通过叶片上的气孔从空气中吸收二氧化碳。根部吸收的水通过木质部运输到叶片。`},
}
