package offline

// Stopwords of English, French, German and Spanish in qcheck.Normalize's
// form (lower case, no accents, apostrophes dropped), plus generic words
// that make poor answers in any subject.
var stopwords = set(`
a about above after again against all almost along already also although always am among an and another any are around as at
be because been before being below between both but by can cannot could did do does doing done down during each either else
enough etc even ever every few first for from further had has have having he her here hers herself him himself his how however
i if in into is it its itself just last least less like made make makes many may me might more most much must my myself
neither never next no nor not now of off often on once one only onto or other others otherwise our ours ourselves out over own
per perhaps rather same second several shall she should since so some such than that the their theirs them themselves then
there therefore these they third this those though three through thus to together too toward towards two under until up upon
us use used uses using usually very via was way ways we well were what whatever when where whereas whether which while who
whom whose why will with within without would yet you your yours yourself yourselves
called known example examples important part parts kind kinds type types form forms number numbers called including include
includes certain different large small new main various whole become becomes became also however another
take takes taken took taking place places thing things way something often sometimes

au aux avec ce ces cet cette dans de des du elle elles en est et etre eux il ils je la le les leur leurs lui ma mais me meme
mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sont sur ta te tes toi ton tu un une vos votre vous
cest dun dune lors aussi ainsi alors donc comme plus moins tres tout tous toute toutes peut peuvent fait font entre sans sous
chez dont ou leurs cela ceci celle celui ceux avoir ete sont etait etaient sera seront autre autres chaque plusieurs

aber als also am an auch auf aus bei bin bis bist da damit dann das dass dein deine dem den der des die dies diese diesem
diesen dieser dieses doch dort du durch ein eine einem einen einer eines er es euer eure fur hat hatte hatten hier ich ihr
ihre im in ist ja jede jedem jeden jeder jedes kann kein keine konnen mit muss nach nicht nichts noch nun nur ob oder ohne
sehr sein seine sich sie sind so uber um und uns unser unter viel vom von vor war waren warum was weil welche welcher wenn
werden wie wir wird wo zu zum zur zwischen wird werden wurde wurden haben kann konnen sowie sondern bereits dabei dazu daher

al algo algunos ante antes como con contra cual cuando de del desde donde durante el ella ellas ellos en entre era eran es esa
ese eso esta estan estas este esto estos fue fueron ha han hasta hay la las le les lo los mas me mi muy nada ni no nos o otra
otro para pero poco por porque que quien se sea ser si sin sobre son su sus tambien tanto te tiene tienen todo todos tu un una
unas uno unos y ya cada mismo misma
`)

// determiners (with common prepositions) come before nouns; a term seen
// after one is a noun.
var determiners = set(`a an the this that these those its their his her our your each every
of in into from by with through on onto at for about between as
dans par pour avec sur sous entre vers
in im von vom mit durch auf aus bei zum zur
en con por para sobre entre desde
le la les l un une des du de ce cet cette ces son sa ses leur leurs
der die das den dem des ein eine einen einem einer eines
el la los las un una unos unas`)
