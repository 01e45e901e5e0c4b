#!/usr/bin/env python3
"""Build (or check) bench/recall/dev.json, the memgraph recall development set.

The conversations below are original text written for memgraph. They are not
derived from any public benchmark. Each conversation is authored in a small
line format and this script turns it into the JSON shape read by
`memgraph bench recall --dataset FILE`.

Line format inside a conversation block:

    === conv-01 | Ingrid | Dev          new conversation: id and the two speakers
    ## 10:12 am on 3 February, 2023     new session (its session_date)
    I: text [photo: caption] {label}    a turn; the letter is the speaker's initial,
                                        the photo and the label are optional
    ?? category | question | answer | label, label
                                        a question; evidence is given by labels.
                                        The answer is for human review only and is
                                        not written to the JSON.

Usage:
    python3 bench/recall/make_dev.py            write dev.json
    python3 bench/recall/make_dev.py --check    validate dev.json and print counts
Stdlib only; output is deterministic.
"""
import argparse
import datetime
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "dev.json")

DESCRIPTION = ("Development set for conversational-memory recall: eight original "
               "multi-session two-person chats written for memgraph, with questions "
               "whose evidence is the turns that answer them.")

CATEGORIES = ("single-hop", "multi-hop", "temporal", "rare-word", "paraphrase",
              "adversarial-distractor")

MIN_CONVERSATIONS = 8
MIN_TURNS = 700
MIN_QUESTIONS = 200

DATE_RE = re.compile(
    r"^(\d{1,2}):(\d{2}) (am|pm) on (\d{1,2}) (January|February|March|April|May|June|"
    r"July|August|September|October|November|December), (\d{4})$")
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
KEY_RE = re.compile(r"^d([1-9]\d*)-([1-9]\d*)$")

CONVERSATIONS = []  # raw text blocks, one per conversation (appended below)

# ---------------------------------------------------------------------------
# conv-01: Ingrid (seabed surveyor, Bergen) and Dev (pastry chef, Leicester)
# ---------------------------------------------------------------------------
CONVERSATIONS.append(r"""
=== conv-01 | Ingrid | Dev
## 10:12 am on 3 February, 2023
I: Dev! Sorry I went quiet, I've been offshore for two weeks with no signal worth mentioning.
D: Ingrid! I figured you were on the boat again. Where did they send you this time?
I: Up near Florø, mapping the seabed for a new cable route. Twelve-hour shifts staring at sonar returns, it's less glamorous than it sounds. {job}
D: Honestly it sounds amazing to me. Did you see anything cool down there?
I: An uncharted shipwreck, actually! Probably an old herring boat. The multibeam picked up the ribs of the hull perfectly. [photo: a sonar image of a shipwreck outlined in orange and blue] {wreck}
D: That's so cool. Meanwhile my big adventure this month was finding the perfect laminating butter.
I: Haha, everyone has their own sea monsters. How's the bakery idea going?
D: Moving faster than I expected. There's an empty unit on Queens Road, used to be a shoe repair shop, and the landlord is willing to talk. {unit}
I: Dev that's huge! What does Rohan think?
D: He's supportive but nervous, mostly about money. He teaches maths so he's built me a spreadsheet with about forty tabs. {rohan}
I: Bless him. Brisket was furious with me when I got home by the way, he sat with his back to me for a whole evening. [photo: a ginger cat facing a wall on a sofa cushion] {brisket}
D: Cats are so petty, I love it.
## 7:45 pm on 19 February, 2023
D: Guess who lost her first tooth at breakfast today? {tooth}
I: No! Anika? Did the tooth fairy come through?
D: She did, two pounds and a tiny note written in glitter pen. Anika is convinced the fairy has "very messy handwriting". [photo: a gap-toothed girl holding up a tiny envelope] {fairy}
I: Haha, she's too sharp. How old is she now, seven?
D: Seven in October. Also, I signed the lease on the Queens Road unit on Thursday! {lease}
I: DEV. Congratulations!! That makes it real.
D: Terrifyingly real. I have until early June to turn a shoe repair shop into a bakery.
I: You'll do it. Speaking of plans, I booked flights to the Faroe Islands for May. I've wanted to go since I was a kid. {faroe_plan}
D: The islands way up past Shetland? What is there to do?
I: Hike, mostly, and watch seabirds. I'm hoping to get out to Mykines to see the puffins if the ferry isn't cancelled by the weather. {mykines_plan}
D: Take a thousand photos please. How's the climbing going?
I: Good! I've been stuck on the same purple problem at the bouldering gym for three weeks, there's a crimpy move near the top that keeps spitting me off. {climb}
D: I don't understand a single word of that but I'm rooting for you.
## 8:30 am on 11 March, 2023
I: Well. The purple problem won.
D: Uh oh. What happened?
I: I came off the top last Thursday, landed badly and sprained my left wrist. It's in a brace for at least four weeks. {sprain}
D: Oh no, Ingrid! Are you ok? Can you still work?
I: I'm on light duty, processing data in the office instead of going out on the boat. Typing one-handed is a nightmare. {light_duty}
D: That's rough. Are you at least getting some rest?
I: Reading a lot. I'm halfway through The Salt Ledger by Maren Østby and it's wonderful, it's about a family of cod traders in Lofoten in the 1800s. {saltledger}
D: That sounds very you. I'm in the wars too actually, my back went while I was carrying flour sacks into the new unit. {back_cause}
I: Oh no. How bad?
D: Bad enough that Rohan had to put my socks on for me two days in a row. The physio says I need to bend my knees, like I'm a child. {back}
I: Haha sorry, I know it's not funny. Please lift properly.
D: Noted. On the bright side, being stuck on the sofa meant Rohan and I finally watched Paper Moons of Madras. {film}
I: Was it good? I've seen the poster everywhere.
D: Gorgeous to look at, a bit slow. The grandmother in it reminded me so much of Ammachi that I cried at the end, and Rohan will never let me forget it. {film_op}
## 6:05 pm on 2 April, 2023
D: I have news from the world of birds.
I: Go on!
D: I took Anika to Rutland Water this morning and we saw a hoopoe! They hardly ever turn up in England. Salmon-pink with a punk crest. [photo: a pink bird with a black-tipped crest on a fence post] {hoopoe}
I: Wow, it looks made up. Did Anika appreciate it?
D: She said it looked like a dinosaur, which from her is the highest praise possible. {dino}
I: Haha perfect. I've picked up a new hobby while my wrist heals. The physio said gentle knitting would help with the stiffness, so I'm making a fisherman sweater. {knit}
D: A whole sweater? That's ambitious.
I: It's very lumpy so far. It's for Solveig's husband, Jonas, but don't tell him. {jonas}
I: Oh and big family news: my sister Solveig is pregnant! The baby's due in August. I'm going to be an aunt. {preg}
D: Ingrid!! That's wonderful. First baby for them?
I: First one. She's been sick as a dog for weeks but she's over the moon.
D: Did you finish The Salt Ledger?
I: Yes, and I loved every page. Then I started Night Ferry to Hull because everyone at work was raving about it and I gave up halfway. The narrator is just so smug. {nightferry}
D: Life's too short for smug narrators.
## 9:20 pm on 21 May, 2023
I: I'm back from the Faroes and I think I left part of my heart there.
D: Welcome back! Tell me everything.
I: Tórshavn is tiny and colourful, turf roofs everywhere. We rented a little house by the harbour for the first few nights. [photo: grass-roofed wooden houses beside a harbour under a grey sky] {torshavn}
D: Did you get to see the puffins in the end?
I: We did! The ferry to Mykines ran on the second try, and there were hundreds of puffins on the cliffs. I could have sat there all day. {puffins}
D: Amazing. What was the food like?
I: Interesting. I tried ræst, which is fermented lamb that's hung to dry in a shed for months. It tastes like very strong blue cheese. Once was enough. {raest}
D: I'll take your word for it.
I: How's the bakery coming along?
D: The oven arrived on Tuesday, it took four men and a lot of swearing to get it through the door. [photo: a huge steel deck oven wrapped in plastic on a shop floor] {oven}
D: And we finally chose a name: Crumb & Kettle. {name}
I: I love it. Why kettle?
D: Ammachi gave me her old brass kettle when I moved to England, and it's going on the shelf behind the counter. Everything I know about baking started in her kitchen. {kettle}
I: That's beautiful, Dev.
## 4:40 pm on 17 June, 2023
D: We're open!!! Crumb & Kettle opened last Saturday. {opening}
I: AAAH congratulations! How did the first day go?
D: There was a queue before we even unlocked the door. Rohan's whole staffroom showed up. The cardamom knots were gone by half ten. {knots}
I: I knew it. What are cardamom knots?
D: Swedish-style twisted buns, but I put a bit of jaggery in the filling. It's my grandmother meets Scandinavia. [photo: a tray of twisted golden buns dusted with pearl sugar] {knots_desc}
I: Now I need one immediately. Can you ship to Norway? Haha
D: Sadly they don't survive the post. You'll have to visit.
I: Deal. Small news from me, I signed up for the Bergen half marathon in September. My wrist is fine now and I need something to train for. {hm_plan}
D: Half marathon! Have you run that far before?
I: Never further than 12 km. So, lots of sad early mornings ahead.
I: Brisket had a rough week too. The vet had to take out one of his back teeth, and now he eats like he's personally offended by his food. {brisket_vet}
D: Poor little guy. Give him a scratch from me.
D: Oh, and we're off to India for a couple of weeks in July, so expect a flood of photos. {india_plan}
## 11:15 am on 6 August, 2023
I: How was India??
D: Wonderful and exhausting. We spent two weeks in Kochi in July for Ammachi's 93rd birthday. {kochi}
I: 93! How is she?
D: Sharper than me. She criticised my cardamom knots, said I'm too stingy with the cardamom, which is completely fair. {ammachi_crit}
I: Haha I love her.
D: It was Anika's first time there. She fed a temple elephant a banana and hasn't stopped talking about it. [photo: a small girl holding out a banana to an elephant] {elephant}
I: That's a core memory right there. Who looked after the bakery while you were away?
D: Kasia, my assistant baker. She's brilliant, and she sold more sourdough in two weeks than I usually do in a month, which is a bit insulting. {kasia}
I: Haha. I've got two bits of news. First, I got promoted! I'm lead surveyor on the next cable project, which means I plan the survey lines instead of just following them. {promo}
D: Ingrid!! Well deserved. And the second?
I: Solveig had her baby on Tuesday! A girl called Linnea, 3.4 kilos, with a full head of dark hair. {linnea}
D: Aunt Ingrid! Congratulations to all of you.
I: I'm driving up to Trondheim next weekend to meet her. I finished Jonas's sweater just in time, though honestly it might fit Linnea better. {trondheim}
D: Send photos of the sweater on Jonas. Or on the baby.
## 3:00 pm on 24 September, 2023
I: I did it! I ran the half marathon last Sunday. {hm_done}
D: YES! How did it go?
I: 1 hour 58 minutes. I wanted under two hours so I cried a little at the finish line. My legs still hate me. [photo: a woman in a rain jacket holding up a finisher medal] {hm_time}
D: Under two hours on your first try! Incredible.
D: I've got some news too. The cardamom knot won silver at the Midlands Bake Awards on Wednesday. {award}
I: Dev! Only silver?! Who beat you?
D: A man from Derby with a pork pie. I'm not bitter. Well, a little bitter. {porkpie}
I: Haha. Did you take Ammachi's advice about the cardamom?
D: I did, I doubled it. So technically it's her medal. {double}
I: How's everyone else? Anika's birthday is coming up, right?
D: Next month. She wants a cake shaped like a stegosaurus, and I'm a professional, so the pressure is enormous. {stego}
I: You'll nail it. I'm thinking about getting a second cat, so Brisket has company when I'm offshore. {secondcat}
D: Will he accept a sibling?
I: He'll sulk for a month and then they'll sleep in a pile. That's my prediction anyway.
D: Haha. Keep me posted!

?? single-hop | What does Ingrid do for work? | She surveys and maps the seabed from a ship (e.g. for cable routes); later lead surveyor | job
?? single-hop | What business used to be in the building Dev rented? | A shoe repair shop | unit
?? single-hop | What subject does Dev's husband teach? | Maths | rohan
?? single-hop | What was Ingrid's finishing time in the half marathon? | 1 hour 58 minutes | hm_time
?? paraphrase | Which joint did Ingrid injure at the climbing gym? | Her left wrist (sprained it falling off the top of a problem) | sprain
?? paraphrase | What dental procedure did Ingrid's cat undergo? | The vet extracted one of his back teeth | brisket_vet
?? paraphrase | What caused Dev's injury while preparing his premises? | Carrying heavy flour sacks (his back went) | back_cause
?? paraphrase | What animal did Dev's daughter give fruit to abroad? | A temple elephant (she fed it a banana) | elephant
?? paraphrase | Why does Ingrid want to adopt another pet? | So Brisket has company while she is offshore | secondcat
?? rare-word | What did Ingrid think of The Salt Ledger? | She found it wonderful and loved every page | saltledger, nightferry
?? rare-word | What did Ingrid say ræst tastes like? | Like very strong blue cheese; once was enough | raest
?? rare-word | Where did Dev see the hoopoe? | At Rutland Water, with Anika | hoopoe
?? rare-word | How did Dev feel about Paper Moons of Madras? | Beautiful but slow; it made him cry because the grandmother reminded him of Ammachi | film, film_op
?? rare-word | What did Ingrid see when she finally got to Mykines? | Hundreds of puffins on the cliffs | puffins
?? multi-hop | What did Ingrid do to pass the time while her wrist was in a brace? | She read (The Salt Ledger) and took up knitting a fisherman sweater | saltledger, knit
?? multi-hop | Who is Ingrid knitting the sweater for, and how is he related to her? | Jonas, her sister Solveig's husband (her brother-in-law) | jonas, preg
?? multi-hop | What is the name of Ingrid's new niece, and which city is Ingrid driving to in order to meet her? | Linnea; Trondheim | linnea, trondheim
?? multi-hop | Whose advice helped Dev's pastry win an award, and what was it? | His grandmother Ammachi said he was too stingy with cardamom; he doubled it and the cardamom knot won silver | ammachi_crit, double, award
?? multi-hop | What sold out first on the bakery's opening day, and what is unusual about Dev's version of it? | Cardamom knots; he adds jaggery to the Swedish-style filling | knots, knots_desc
?? multi-hop | Where did the kettle on Dev's bakery shelf come from, and how old did its original owner turn this summer? | From his grandmother Ammachi, who turned 93 | kettle, kochi
?? temporal | When did Ingrid sprain her wrist? | Thursday 9 March 2023 (the Thursday before 11 March 2023) | sprain
?? temporal | When did Crumb & Kettle open? | Saturday 10 June 2023 (the Saturday before 17 June 2023) | opening
?? temporal | When was Linnea born? | Tuesday 1 August 2023 | linnea
?? temporal | When did Ingrid run the Bergen half marathon? | Sunday 17 September 2023 | hm_done
?? adversarial-distractor | Which book did Ingrid abandon partway through? | Night Ferry to Hull (the smug narrator) | nightferry
?? adversarial-distractor | What did Anika say the unusual bird looked like? | A dinosaur | dino
?? adversarial-distractor | What did Anika receive after losing her tooth? | Two pounds and a tiny note in glitter pen | fairy
""")

# ---------------------------------------------------------------------------
# conv-02: Marisol (chemistry teacher, Tucson) and Kofi (sound engineer, Toronto)
# ---------------------------------------------------------------------------
CONVERSATIONS.append(r"""
=== conv-02 | Marisol | Kofi
## 2:15 pm on 7 August, 2022
M: Kofi! It's been ages. How's Toronto treating you?
K: Marisol! Hot and sticky. You're used to dry heat, this would kill you. What's new with you? School starts soon, right?
M: Tomorrow, actually. Summer went by way too fast. I've got three sections of AP Chemistry at Rillito High this year, which is great but means a mountain of grading. {job}
K: AP Chem! Those poor kids. Or lucky kids, I mean.
M: Big news though, we adopted a retired racing greyhound two weeks ago! Her name is Biscotti. She's 4, and she sleeps about 20 hours a day. [photo: a brindle greyhound curled up on a blue couch] {biscotti}
K: Oh she's gorgeous. I thought greyhounds needed loads of running?
M: Everyone thinks that! They're basically 40 mph couch potatoes. Two short walks and she's done for the day. {couch}
K: That's my kind of dog. I've been locked in the studio all summer. We're recording the debut album for a band called The Velvet Harmattan. {album}
M: Love that name. What do they sound like?
K: Highlife guitars with a lot of synth on top. The lead singer, Yaw, wrote half the songs on a bus between Kumasi and Accra. {yaw}
## 8:40 pm on 25 August, 2022
K: Quick question for the chemistry teacher: why is my shower head covered in white crusty stuff?
M: Hard water! That's calcium carbonate. Soak it in vinegar overnight and it'll dissolve. Chemistry in action. {limescale}
K: You're a legend. It worked.
M: Haha. First week back was chaos. A kid set his own eyebrows on fire with a Bunsen burner on day two. He's fine, his eyebrows aren't. {eyebrows}
K: Oh no haha.
M: And Mateo has decided he's going to be a drummer. He spent his birthday money on a used drum kit and it lives in the garage now. {drums}
K: How old is he now?
M: Fifteen going on thirty. The neighbours have been very patient. Biscotti less so, she hides in the bathtub when he practises. {bathtub}
K: Haha poor Biscotti. Sorry, but you have a future rock star. I'm happy to give him recording tips.
M: Please don't encourage him!
K: Too late haha. Also my knee's been acting up. I twisted it playing pickup soccer at Trinity Bellwoods last Sunday and it's swollen like a grapefruit. {knee}
M: Ouch, get it looked at please.
## 6:30 pm on 17 September, 2022
K: Bad news on the knee. The MRI shows a torn ACL. {acl}
M: Oh Kofi, I'm so sorry. Do you need surgery?
K: Yeah, they're scheduling it for late October. Recovery is about six months, so no soccer until spring at least. {surgery_plan}
M: That's awful. How are you doing in yourself?
K: Grumpy. But I can still sit at a mixing desk, so work goes on.
M: Silver lining. Is Delphine looking after you?
K: She's been great. Being a nurse means she's very strict about the ice and elevation routine, though. She calls me her worst patient. {delphine}
M: Haha I believe it.
M: I started a pottery class on Wednesday nights at a studio downtown. I'm terrible at throwing but I'm obsessed with the glazes. {pottery}
K: Of course the chemistry teacher loves glazes.
M: It's literally applied chemistry! A little iron oxide gives you that soft green celadon, cobalt gives you blue. I'm in heaven. [photo: a lopsided green bowl on a wooden shelf] {glaze}
K: Lopsided is just character.
## 9:05 am on 9 October, 2022
M: We booked the trip! Oaxaca for Día de Muertos, we fly out on October 26. {oaxaca_plan}
K: Amazing! Who's going?
M: Me, Mateo and my mom. Biscotti is staying with my neighbour Carol, who is completely obsessed with her. {carol}
K: Is it Mateo's first time?
M: First time in Mexico since he was a baby. My grandmother was from a village outside Oaxaca City, so it means a lot to my mom. {abuela}
K: That's special. I hope you find some long-lost cousins.
K: The Velvet Harmattan album is finished by the way! We did the final mix on Friday. {mix_done}
M: Congratulations!! What's it called?
K: "Dust Season". Because of the harmattan, the dusty wind that blows down off the Sahara every December. {dust_season}
M: Oh that's beautiful, I had no idea that's where the band name came from.
K: Yaw says it's when the best things happen, because everybody comes home for Christmas.
M: Love it.
## 7:20 pm on 8 November, 2022
K: How was Mexico?? I've been dying to hear. I'm typing this from the couch with my leg up.
M: It was unforgettable. We built an altar with photos of my grandmother and my dad, with marigolds and pan de muerto. Mom cried all night, good tears. [photo: an altar covered in orange marigolds, candles and old family photos] {altar}
M: And the food. I ate tlayudas every single day. It's like a giant crispy tortilla with beans, cheese and meat on top. Mateo ate four in one night. [photo: a huge folded tortilla with black beans and stringy cheese on a clay plate] {tlayuda}
K: I'm very jealous.
M: How was the surgery? You had it while we were away, right?
K: Yes, on the 27th. It went well but I'm on crutches for a few weeks. Delphine has been heroic. {surgery_done}
M: Take it easy. No carrying speakers up the stairs.
K: Haha. I've been reading a lot since I can't move. Just finished Ninefold Rivers by Ama Serwaa. It's about a family of fishermen on the Volta. {ninefold}
M: Did you like it?
K: Loved it. It made me very homesick, I called my mother right after. {homesick}
M: Aww. How is she?
K: Good news there, she's coming to visit for Christmas! Her first time in Canada, and her first time seeing snow. {mother_visit}
M: Oh she's going to be so cold. Make sure she has a proper coat.
## 4:10 pm on 3 December, 2022
M: Guess who got a grant from the Pima Science Foundation? I'm buying a spectrometer for the school lab! {grant}
K: Congrats! What does a spectrometer do?
M: It shines light through a sample and measures which colours get absorbed. The kids can work out how much dye is in a sports drink. Nerdy, but they love it. {spectro}
K: That's actually so cool. You're a great teacher.
M: Thanks. Also Mateo's band played their first gig last night, in the school cafeteria. They're called Saguaro Static. {gig}
K: Haha great name. How were they?
M: Loud. Very loud. But Mateo kept time the whole way through and I was so proud I nearly cried. [photo: four teenagers playing instruments on a cafeteria stage] {proud}
K: Send me a recording! I'll give them some notes.
K: I'm off crutches now. Physio three times a week, doing leg lifts like an old man. {crutches}
M: That's progress! When does your mom arrive?
K: December 20th. I bought her the biggest puffer coat I could find, she looks like a sleeping bag in it. [photo: a purple puffer coat hanging on a closet door] {coat}
M: Haha perfect.
## 10:45 am on 8 January, 2023
M: Happy new year! How was Christmas with your mom?
K: Happy new year! It was the best. She saw snow on her second day and stood in the street with her arms out like a little girl. [photo: an older woman in a huge purple puffer coat laughing in the snow] {snow}
M: Oh my heart.
K: I took her skating at Nathan Phillips Square. Well, she watched and laughed at me, I'm not allowed on skates with my knee yet. {skating}
M: Haha. How long is she staying?
K: Until the end of January. She's cooked so much light soup that my freezer is full. {soup}
M: Lucky you. My sister Lupe is getting married in two weeks in Flagstaff, so I'm busy sewing. {lupe}
K: Sewing what?
M: The bridesmaid dresses, long story. The one in the shop was $400 so I said "I'll just make it" and now I regret everything. {dresses}
K: Haha you'll be fine. Is Biscotti invited?
M: She is not, she'll be at Carol's as usual. Carol has started buying her a special bed. {carol_bed}
K: Biscotti has a second home.
## 5:30 pm on 4 February, 2023
K: How was the wedding?
M: Gorgeous. It snowed in Flagstaff the night before so the photos look like a postcard. And the dresses held together! {wedding}
K: Told you.
M: One seam ripped during the dancing but nobody noticed. Except me.
K: Haha. Big news from me: I proposed to Delphine last Saturday! {proposal}
M: KOFI!!! Oh my god! How did you do it?
K: I took her up to the roof of our building where we had our first date, and I played her a song I'd recorded for her. Yaw sang on it. {proposal_how}
M: I'm crying. What did she say?
K: She said yes and then said "so this is why you've been sneaking off to the studio on Sundays?" [photo: a hand with a gold ring against a snowy city skyline] {ring}
K: My mom flew back to Accra the next day. The apartment feels very quiet now. {mom_left}
M: Oh, and I broke my little toe. On Biscotti's crate. In the dark. {toe}
K: No! Haha sorry. Are you ok?
M: It's taped to the one next to it. I'm limping around the classroom like a pirate.
## 12:05 pm on 5 March, 2023
K: "Dust Season" comes out on Friday! {release}
M: Finally! Where can I listen?
K: All the streaming sites. And there's a launch party at the Horseshoe Tavern that night. {launch}
M: I'll be there in spirit! How's the knee?
K: I jogged for the first time last week! Ten minutes, very slowly. The physio was happier than I was. {jog}
M: My pottery class had an exhibit and I sold a bowl! To a stranger! For $25! [photo: a small green bowl with a handwritten price tag] {sold_bowl}
K: A professional potter now.
M: Haha it was a green one. The celadon finally came out right after about six tries. {celadon_right}
K: I want one for our wedding registry.
M: Deal. When is the wedding?
K: We're thinking next summer in Quebec City, where Delphine's family lives. {wedding_plan}
M: Put me on the list!

?? single-hop | What subject does Marisol teach? | AP Chemistry (at Rillito High) | job
?? single-hop | How did Marisol tell Kofi to clean his shower head? | Soak it in vinegar overnight (the crust is calcium carbonate from hard water) | limescale
?? single-hop | Where was Marisol's grandmother from? | A village outside Oaxaca City | abuela
?? paraphrase | How active is Marisol's new pet? | Not very: she sleeps about 20 hours a day and is done after two short walks | biscotti, couch
?? paraphrase | What happened to a student during a lab lesson at the start of term? | A kid set his own eyebrows on fire with a Bunsen burner | eyebrows
?? paraphrase | Where does Marisol's greyhound take shelter from the racket her son makes? | In the bathtub | bathtub
?? paraphrase | What did the scan of Kofi's leg reveal? | A torn ACL | acl
?? paraphrase | How did Kofi's mother react to her first winter weather? | She stood in the street with her arms out like a little girl | snow
?? paraphrase | What injury did Marisol get from tripping over the pet's cage at night? | A broken little toe | toe
?? rare-word | What style of music does The Velvet Harmattan play? | Highlife guitars with lots of synth | album, yaw
?? rare-word | What is a tlayuda? | A giant crispy tortilla topped with beans, cheese and meat | tlayuda
?? rare-word | What is Ninefold Rivers about? | A family of fishermen on the Volta | ninefold
?? rare-word | How did Saguaro Static's first gig go? | Very loud, but Mateo kept time and Marisol was very proud | gig, proud
?? rare-word | What event is happening at the Horseshoe Tavern? | The launch party for the album Dust Season | launch, release
?? multi-hop | Who sang on the song Kofi used to propose, and what is that person's role in the band Kofi recorded? | Yaw, the lead singer (and main songwriter) of The Velvet Harmattan | proposal_how, yaw, album
?? multi-hop | What does Kofi's fiancée do for a living, and where does her family live? | She is a nurse; her family lives in Quebec City | delphine, wedding_plan
?? multi-hop | What colour was the bowl Marisol sold, and which ingredient produces that colour? | Green (celadon); iron oxide | celadon_right, glaze
?? multi-hop | How is the title of The Velvet Harmattan's album connected to the band's name? | Both refer to the harmattan, the dusty Saharan wind in December; the album is called Dust Season | album, dust_season
?? multi-hop | How did Kofi hurt his knee, and what was the diagnosis? | Twisted it playing pickup soccer at Trinity Bellwoods; a torn ACL | knee, acl
?? multi-hop | Who went with Marisol to Oaxaca, and why did the trip mean so much to her mother? | Her son Mateo and her mother; Marisol's grandmother came from a village outside Oaxaca City | carol, abuela
?? temporal | When did Kofi injure his knee? | Sunday 21 August 2022 (the Sunday before 25 August 2022) | knee
?? temporal | When did Kofi have his knee surgery? | 27 October 2022 | surgery_done
?? temporal | When did Kofi propose to Delphine? | Saturday 28 January 2023 | proposal
?? temporal | When did Marisol's family adopt Biscotti? | Around 24 July 2022 (two weeks before 7 August 2022) | biscotti
?? adversarial-distractor | What did Marisol make by hand for her sister's wedding? | The bridesmaid dresses | dresses
?? adversarial-distractor | Where did Kofi take his mother skating? | Nathan Phillips Square | skating
?? adversarial-distractor | Where did Mateo's band play their first show? | In the school cafeteria | gig
""")

# ---------------------------------------------------------------------------
# conv-03: Hiroshi (retired railway signal engineer, Otaru) and Beatrix
#          (nursing student, Edinburgh)
# ---------------------------------------------------------------------------
CONVERSATIONS.append(r"""
=== conv-03 | Hiroshi | Beatrix
## 7:30 pm on 12 September, 2023
B: Konbanwa Hiroshi-san! Or is it morning for you? I always mess up the time difference.
H: Good morning, Beatrix. It is 3:30 in the morning here, but old men wake early, so no problem. How was your first week of the new term?
B: Mental. I've started my placement in A&E at the Royal Infirmary. Twelve-hour shifts, I was so tired on Friday I fell asleep on the bus and woke up in Musselburgh. {placement}
H: I worked night shifts for thirty years on the railway. Signal maintenance for JR Hokkaido. The body never truly gets used to it. {hiroshi_job}
B: How did you cope?
H: Strong coffee and a nap in the afternoon. Emiko says I snore like a steam engine. {snore}
B: Haha. How is Emiko?
H: Very well. She started teaching a calligraphy class for children at the community centre on Thursdays. Eight students so far. [photo: children's brush calligraphy drying on sheets of newspaper] {calligraphy}
B: That's lovely. Tell her I want lessons too.
## 9:10 am on 30 September, 2023
B: Guess what's living in our bathroom right now.
H: I am afraid to guess.
B: A hedgehog! Corrie found him in the road on Wednesday night, he was tiny and dehydrated. He's called Bramble and he weighs 310 grams. {bramble}
H: Corrie is your roommate, the veterinary student?
B: Aye, flatmate. She's in third year at the Dick Vet. She's feeding him cat food with a syringe and I'm in charge of weighing him every morning. [photo: a tiny hedgehog on a kitchen scale lined with a tea towel] {corrie}
H: A good team. In Hokkaido we do not have hedgehogs, but we have many foxes.
B: Foxes! Do they come near your house?
H: One visits my garden in the evening. I call her Kitsune-san. She is very interested in my bonsai, which worries me. {fox}
B: Haha. Which bonsai?
H: My Ezo spruce. It is forty-two years old. My father started it when I was a young man. {spruce}
B: That's older than my mum, she's 39! How do you keep it alive that long?
H: Patience, and never going on holiday in August. {august}
## 8:00 pm on 24 October, 2023
H: Beatrix, I have small news. My grandson Ren came to stay for the autumn holiday, and we began a new project. {ren}
B: Ooh what project?
H: A model railway in my garage, N gauge. We are building the old Temiya line in Otaru as it was in 1960, with the coal trains. {model}
B: That's so cool. How old is Ren now?
H: Nine. He knows the name of every Shinkansen model. He corrects me, which is humbling for a retired railway man. [photo: a boy gluing tiny trees onto a model railway hillside] {ren_age}
B: Haha I love him.
B: My news is less fun. I failed my first OSCE attempt. {osce_fail}
H: OSCE?
B: It's a practical exam where you go round stations and do clinical skills in front of examiners. I messed up the drug calculation station. I was so nervous I forgot how to divide. {osce_explain}
H: Nerves make all of us stupid. When can you try again?
B: The resit is in January. I'm doing practice calculations every night with Corrie quizzing me. {resit}
H: You will pass. I believe it.
B: Thanks Hiroshi-san. Bramble is 520 grams now by the way, nearly ready to go back outside. {bramble_520}
## 11:20 am on 18 November, 2023
B: We released Bramble on Thursday! In the Hermitage of Braid, down by the burn. He just trundled off into the leaves without looking back. [photo: a hedgehog walking into fallen leaves beside a stream] {release}
H: Ungrateful, like all children. Haha.
B: Haha! I cried a bit.
H: I also have news. Next month I will have an operation on my eyes, for cataracts. The doctor says it is routine. {cataract_plan}
B: It is! It's one of the most common operations there is. You'll be seeing crisp colours after.
H: Fifteen minutes for each eye, two weeks apart. I must not bend down to my bonsai for a while. This is the hardest part. {bend}
B: The spruce will survive two weeks without you.
B: I went to my first ceilidh last weekend! Did I ever tell you about ceilidhs? {ceilidh}
H: No. What is it?
B: Scottish folk dancing with a live band. The Strip the Willow nearly killed me, you get spun round by about forty people in a row. I had bruises on my arms. {strip}
H: It sounds like rush hour at Sapporo station.
B: Haha pretty much. There was a fiddler who couldn't have been older than twelve and he was incredible. [photo: a young boy playing the fiddle on a small stage with a ceilidh band]
H: Young people with old music. This makes me happy.
## 6:45 pm on 10 December, 2023
B: I sat my JLPT N4 exam this morning! In Japanese! {jlpt}
H: Omedetou! How did you feel?
B: The listening section was hard, they speak so fast. But I think I did ok on the kanji thanks to those old newspaper crosswords you sent me. {listening}
B: Also... Callum and I broke up. {breakup}
H: I am sorry, Beatrix. Are you alright?
B: Aye, it was mutual-ish. He got a job in Aberdeen and neither of us wanted long distance. Still sad though. {aberdeen}
H: Sadness is the price of caring. Eat something warm.
B: I'm having my Nana Jean's stovies right now, she brought a massive pot over from Dundee. {stovies}
H: Stovies?
B: Potatoes, onions and leftover beef all stewed together. Scottish comfort food. [photo: a big pot of brown potato stew on a hob] {stovies_desc}
H: It sounds like nikujaga, the meat and potato dish my mother made. Grandmothers are the same everywhere. {nikujaga}
H: And my left eye was operated on Tuesday. Everything is so bright and blue now, I did not know my kitchen walls were white! {left_eye}
B: That's amazing! Was it sore?
H: Only itchy. Emiko hides the soy sauce on the low shelf so I cannot bend down for it. Very strict nurse.
## 10:05 am on 6 January, 2024
H: Happy New Year, Beatrix. Akemashite omedetou.
B: Akemashite omedetou gozaimasu! How was your new year?
H: Quiet and good. Our daughter Haruka came from Osaka with Ren. We ate ozoni and watched the first sunrise of the year at Otaru beach. {haruka}
B: That sounds beautiful.
H: Ren brought me a present, a tiny model of the ice slide from the Sapporo Snow Festival, for our railway. {present}
B: He's so sweet. Both eyes done now?
H: Yes, the right one before Christmas. I can read the newspaper without glasses for the first time in twenty years. {right_eye}
B: Amazing! I did Hogmanay at my dad's in Portree. {portree}
B: We walked up to the Old Man of Storr on New Year's Day and it was blowing an absolute gale. [photo: a tall rock pinnacle on a misty hillside] {storr}
H: This rock looks like a giant finger.
B: Haha it kind of does. And my OSCE resit is on the 17th, so it's books and nothing else until then. {resit_date}
H: Ganbatte!
## 7:55 pm on 13 February, 2024
B: I PASSED!!! {passed}
H: The OSCE? Wonderful!
B: Aye! And I got full marks on the drug calculation station, the exact one I failed last time. {full_marks}
H: This is the best kind of revenge.
B: Haha exactly. And my JLPT results came, I passed N4 too! {jlpt_pass}
H: Two victories! I am proud of you.
H: I have a victory too, a small one. My memoir has a publisher. A small press in Sapporo, Kita Shobo, will print it in the summer. [photo: a thick typed manuscript tied with string on a low wooden table] {memoir}
B: Hiroshi-san!!! Your memoir! What's it called?
H: "Forty Winters on the Line". It is about the railway, the snowstorms, the night I dug out a stuck train near Kutchan with only a shovel. {memoir_title}
B: I need an English translation.
H: Maybe you translate it when your Japanese is N1, hm?
B: That's a deal. Might take me ten years haha. {translate}
## 2:30 pm on 23 March, 2024
H: Beatrix, I have decided something. Emiko and I will travel to Scotland in May! {scotland_plan}
B: WHAT! Hiroshi-san that's amazing! When?
H: We arrive in Edinburgh on May 14 and stay ten days. Emiko wants to see castles and I want to see the Forth Bridge. {dates}
B: Of course you do, the railway man. I'll take you on the train over it.
H: This is my dream since I was a young engineer. Built in 1890, a cantilever design, still carrying trains. {dream}
B: You have to try haggis too.
H: Emiko read that haggis is cooked in a sheep stomach. She says she will try it "one time only". {haggis}
B: Haha fair enough. Can I tell you my news?
B: I've been offered a job at the Royal Infirmary when I qualify in September. On the A&E team where I did my placement. {job_offer}
H: Wonderful! They know you are good.
B: I'm so happy. The charge nurse, Morag, said I was the calmest student she'd ever had in a crisis. {morag}
H: Only calm outside, I think.
B: Haha exactly. Inside I was screaming.
## 9:40 pm on 21 April, 2024
B: Three weeks till you get here! I've made a list.
H: A list? Please show.
B: Day one: Arthur's Seat at sunrise. Day two: the train over the Forth Bridge to Fife. Day three: the Royal Botanic Garden, there's a bonsai collection! {list}
H: A bonsai collection in Scotland? I must see.
B: Corrie wants to meet you too. She's made a wee poster about Bramble to show you.
H: Please tell Corrie I will bring a gift from Hokkaido. Maybe some Shiroi Koibito biscuits. {biscuits}
B: Oh, what are those?
H: White chocolate between thin butter cookies. Every tourist brings them home from Sapporo. [photo: a box of white biscuits with a snowy mountain on the lid] {biscuits_desc}
B: Sold. Also, does the fox still visit?
H: Kitsune-san now brings two cubs. They play under my maple tree in the evening. {cubs}
B: Oh my goodness. Send a photo!
H: They are too fast for an old man with a phone. I tried eight times.

?? single-hop | Where is Beatrix doing her clinical placement? | In A&E at the Royal Infirmary | placement
?? single-hop | What was Hiroshi's job before he retired? | Signal maintenance on the railway for JR Hokkaido | hiroshi_job
?? single-hop | Which Japanese dish did Hiroshi compare Nana Jean's cooking to? | Nikujaga, his mother's meat and potato dish | nikujaga
?? single-hop | Where does Beatrix's dad live? | Portree | portree
?? paraphrase | Why did Beatrix miss her stop coming home? | She dozed off on the bus after a twelve-hour shift and woke up in Musselburgh | placement
?? paraphrase | Why doesn't Hiroshi go away in late summer? | His bonsai (the Ezo spruce) needs constant care | august, spruce
?? paraphrase | What noise does Hiroshi's wife say he makes while asleep? | Like a steam engine | snore
?? paraphrase | Which task tripped Beatrix up in her first attempt at the nursing assessment? | The drug calculation station | osce_explain
?? paraphrase | How did Hiroshi's sight change after the procedure? | Colours became bright and vivid and he can read without glasses | left_eye, right_eye
?? paraphrase | How did the rescued animal behave when it was set loose? | It trundled off into the leaves without looking back | release
?? rare-word | Who is Kitsune-san? | A fox that visits Hiroshi's garden in the evenings | fox
?? rare-word | What is "Forty Winters on the Line" about? | Hiroshi's railway career: snowstorms, digging out a stuck train near Kutchan | memoir_title
?? rare-word | What was the weather like at the Old Man of Storr? | Blowing a gale | storr
?? rare-word | What is Strip the Willow like? | A ceilidh dance where you get spun round by about forty people; it left Beatrix bruised | strip
?? rare-word | What are Shiroi Koibito? | Hokkaido biscuits: white chocolate between thin butter cookies | biscuits, biscuits_desc
?? multi-hop | How much weight did Bramble put on while he was being cared for? | About 210 grams (310 g when found, 520 g later) | bramble, bramble_520
?? multi-hop | Who is helping Hiroshi build his model railway, and how old is he? | His grandson Ren, who is nine | ren, model, ren_age
?? multi-hop | Why did Beatrix and Callum break up, and where did he move? | He took a job in Aberdeen and neither wanted long distance | breakup, aberdeen
?? multi-hop | Which station did Beatrix fail on her first OSCE, and how did she do on it in the resit? | Drug calculation; she got full marks on it | osce_explain, full_marks
?? multi-hop | Which sight is Hiroshi most excited to see in Scotland, and why does it matter to him? | The Forth Bridge; it has been his dream since he was a young engineer | dates, dream
?? multi-hop | Where will Beatrix work after she qualifies, and who praised her there? | The A&E team at the Royal Infirmary; Morag, the charge nurse | job_offer, morag
?? temporal | When did Corrie find Bramble? | Wednesday 27 September 2023 | bramble
?? temporal | When was Bramble released? | Thursday 16 November 2023 | release
?? temporal | When was Hiroshi's left eye operated on? | Tuesday 5 December 2023 | left_eye
?? temporal | When did Beatrix go to her first ceilidh? | The weekend of 11-12 November 2023 (the weekend before 18 November) | ceilidh
?? adversarial-distractor | What present did Ren give Hiroshi at New Year? | A tiny model of the Sapporo Snow Festival ice slide for their railway | present
?? adversarial-distractor | Where did Hiroshi watch the first sunrise of the year? | At Otaru beach | haruka
?? adversarial-distractor | Which of Hiroshi's eyes had surgery first? | The left eye | left_eye
""")

# ---------------------------------------------------------------------------
# conv-04: Lucas (firefighter, Adelaide) and Noor (architect, Amman)
# ---------------------------------------------------------------------------
CONVERSATIONS.append(r"""
=== conv-04 | Lucas | Noor
## 8:15 pm on 16 January, 2022
L: Noor! Happy new year, finally. How's Amman?
N: Lucas! Freezing, honestly. It snowed on Thursday and the whole city shut down for a day. [photo: snow-covered rooftops and water tanks under a pale sky] {snow}
L: Snow in Amman? I had no idea that was possible. It's 41 degrees here, we're on high alert for bushfires. {heat}
N: That's terrifying. Are you working a lot?
L: Back to back shifts. We had a grass fire near Gawler on Tuesday that jumped the road. Nobody hurt, thank god. {gawler}
N: I'm so glad. Stay safe please.
L: Always. How's the library project?
N: It's finally approved! We're designing a public library in Zarqa, with rammed earth walls so it stays cool without much air conditioning. {library}
L: Rammed earth, like packed dirt?
N: Basically, compressed in layers. It looks like a striped cake when it's done. I'm obsessed. {layers}
L: That's brilliant. The twins start school in two weeks, by the way. I'm not ready. {twins_school}
N: Ivy and Jack at school! They were babies five minutes ago.
## 6:50 am on 5 February, 2022
L: Morning from the beach. Got a surf in before shift. [photo: a surfboard stuck upright in the sand at sunrise] {surf}
N: Jealous. Which beach?
L: Middleton, about an hour south. It was glassy this morning, perfect little waves. {middleton}
N: How did the first week of school go?
L: Ivy marched in without looking back. Jack clung to my leg and cried, then came home saying it was "the best day ever". {first_day}
N: Haha classic twins. Different personalities?
L: Totally. Ivy wants to be a vet, Jack wants to be "a garbage truck". Not the driver. The truck. {garbage}
N: Hahaha I love Jack.
N: I started oud lessons! My teacher is Ustaz Fadi, he's about 70 and very strict. {oud}
L: What's an oud?
N: It's like a lute, pear-shaped, no frets. My fingertips are destroyed. Za'tar hates it, he leaves the room the moment I start. {oud_desc}
L: Dusty does the same when Sienna sings in the shower haha. Smartest kelpie in Adelaide, harshest music critic. {kelpie}
## 9:30 pm on 27 February, 2022
L: Hey, sorry I've been quiet. I got sent interstate on Wednesday with a strike team to help with the floods in northern NSW. {floods}
N: I saw the news. Is it bad?
L: Pretty grim. Whole towns underwater. We're doing rescues and helping people shovel mud out of their houses. [photo: firefighters in orange overalls wading through brown floodwater] {mud}
N: Oh Lucas. Look after yourself. How long are you there?
L: Two weeks, then home. Sienna's holding the fort with the twins and Dusty. {sienna}
N: She's a hero. Isn't she working too?
L: Yeah, she's a midwife at the Women's and Children's, so she's juggling night shifts. Her mum is helping out. {midwife}
N: I'll keep you all in my prayers.
N: Small news from here, my brother Sami got engaged! To Lina, they met at university. The engagement party is on March 12. {sami}
L: Congrats to Sami! Are you excited?
N: Very. And my mother is already panicking about the guest list. 600 people. {600}
L: 600?! For an engagement?
N: This is small, Lucas. Wait until the wedding haha. {small}
## 1:05 pm on 19 March, 2022
N: You're home! How was it?
L: Got back Tuesday. Exhausted but glad I went. One old bloke in Lismore gave us his whole vegie patch worth of pumpkins as a thank you. {pumpkins}
N: That's so kind.
L: How was Sami's engagement party?
N: Beautiful and chaotic. There was a zaffa with drums and dancers, and my aunt cried through all of it. Za'tar got into the kitchen and stole a piece of knafeh. [photo: a tray of orange cheese pastry soaked in syrup] {knafeh}
L: Haha a cat with good taste.
N: The guest list said 600 and I think 750 came haha. {750}
L: Classic. Did you play the oud?
N: No! Not ready for an audience. Ustaz Fadi says maybe in a year. {not_ready}
L: Next year then.
L: I've decided to do a triathlon. The Victor Harbor sprint, in November. Sienna thinks I've lost it. {tri}
N: Can you swim well?
L: Surfing isn't swimming, it turns out. I'm doing laps at the Adelaide Aquatic Centre and getting lapped by 70-year-olds. {laps}
## 10:40 pm on 10 April, 2022
N: Ramadan Kareem! Sorry for writing so late, we just finished iftar at my grandmother's. {iftar}
L: Ramadan Kareem! What do you usually eat?
N: Dates and water first, then lentil soup, then everything. Tonight my grandmother made mansaf, lamb cooked in jameed, which is a dried yoghurt. It's our national dish. {mansaf}
L: That sounds amazing. How are you managing fasting and work?
N: I'm slow in the afternoons. My boss lets us finish at 3 during Ramadan, which helps. {boss}
L: Nice boss. We're off to Kangaroo Island next week for Easter! Camping at Western River. {ki_plan}
N: Are there kangaroos?
L: Obviously haha. And sea lions at Seal Bay, the twins are losing their minds with excitement. {sealbay}
N: I want to go one day.
N: Oh, also, I've been having terrible headaches. The doctor thinks they're migraines from staring at the screen all day. I'm wearing special glasses now. {migraine}
L: Ouch, that's no good. Hope the glasses help.
## 7:25 pm on 1 May, 2022
L: Eid Mubarak! Is it today?
N: Eid Mubarak! Tomorrow here actually. But thank you! How was Kangaroo Island?
L: Ace. The sea lions at Seal Bay were lying around like fat old men. Jack copied them all afternoon. {sealions}
L: We also saw an echidna on the road to Flinders Chase. Ivy named it Spike and wanted to take it home. [photo: a spiny echidna walking across a dirt road] {echidna}
N: An echidna! I had to look that up. It's like a hedgehog?
L: Sort of, but it lays eggs. They're very weird animals. {eggs}
N: I'm leaving for Istanbul on the 16th, for a conference on sustainable architecture. I'm presenting our Zarqa library. {istanbul_plan}
L: Whoa, presenting! Nervous?
N: Terrified. 20 minutes in front of a room full of professors. {nervous}
L: You'll smash it. Just imagine them all as sea lions.
N: Haha I will.
## 5:50 pm on 28 May, 2022
N: I'm back from Istanbul! The talk went well. A professor from Delft asked for my slides! {delft}
L: That's huge! Did you get to see the city?
N: A little. I walked across the Galata Bridge at sunset and ate a fish sandwich from a boat. Best 40 lira I've ever spent. [photo: a fish sandwich held up in front of the Bosphorus at sunset] {fish}
L: Sounds unreal.
N: And I found a tiny bookshop in Kadıköy where I bought an old book on Ottoman domes. {kadikoy}
L: The most architect souvenir ever haha.
L: Update from me: I swam 750 metres without stopping yesterday! Triathlon training is on track. {swim750}
N: Bravo! And the cycling part?
L: I bought a second-hand road bike off a guy at the station. It's bright yellow and everyone calls it the Banana. {banana}
N: The Banana! Haha perfect.
L: Dusty hates it, she barks at it every time I ride down the driveway. {dusty_bike}
## 11:30 am on 19 June, 2022
L: Big week. Ivy lost her first tooth AND Jack learned to ride without training wheels. {ivyjack}
N: A big week for the twins!
L: And for me, I passed my station officer exam. Starting in August at the Beulah Park station. {promotion}
N: Lucas! Congratulations! Is it a promotion?
L: Yep, I'll be in charge of a crew. Less hose work, more paperwork haha. {crew}
N: You'll be a good boss.
N: I finally played the oud in front of people. At my grandmother's house on Friday, for the whole family. {oud_family}
L: I thought Ustaz Fadi said you needed a year?
N: He did! But my grandmother asked and you cannot say no to her. I played "Lamma Bada" and only made three mistakes. {lamma}
L: Amazing. Was Za'tar in the audience?
N: He was asleep on my mother's lap the whole time. Very rude.
N: Also Sami's wedding date is set: July 9th. I'm doing the seating plan. Like a floor plan but much harder. {wedding_date}
## 8:05 pm on 16 July, 2022
L: How was the wedding?
N: Exhausting and perfect. 900 guests, a zaffa, fireworks and dancing until 3 am. Sami cried when he saw Lina. {wedding}
L: 900! You weren't joking.
N: I told you, 600 was small haha. My feet still hurt.
L: Did the seating plan work?
N: Mostly. Two aunts who don't speak to each other ended up at the same table. My mistake. {aunts}
L: Oops haha.
L: I finished my first ever sprint triathlon last weekend, a practice one at West Lakes before the big race. Came 48th out of 60. {westlakes}
N: Wow! First of many.
L: The swim was chaos, I got kicked in the face twice. But the Banana held up. {kicked}
N: The Banana is a legend.
L: The twins made a sign that said "GO DAD GO" with a drawing of a garbage truck on it. [photo: two kids holding a hand-painted sign with a garbage truck on it] {sign}
N: That's Jack's contribution for sure haha.
L: 100%. He's sticking to his career plan.

?? single-hop | What does Lucas's wife do for work? | She's a midwife at the Women's and Children's hospital | midwife
?? single-hop | Which beach does Lucas surf at before his shifts? | Middleton | middleton
?? single-hop | Which fire station will Lucas move to after his exam? | Beulah Park | promotion
?? paraphrase | What gift did a grateful local give Lucas's crew after the deluge? | A whole vegie patch worth of pumpkins | pumpkins
?? paraphrase | How does Noor's pet feel about her new instrument? | Her cat Za'tar hates it and leaves the room | oud_desc
?? paraphrase | Why is Noor allowed to leave the office early at the moment? | Her boss lets staff finish at 3 during Ramadan | boss
?? paraphrase | What has Noor changed to cope with the pain behind her eyes? | She wears special glasses (for screen-related migraines) | migraine
?? paraphrase | How did Lucas rank in his first multi-sport event? | 48th out of 60 | westlakes
?? paraphrase | Which twin was fearless about starting school? | Ivy | first_day
?? rare-word | Who is Ustaz Fadi? | Noor's strict, roughly 70-year-old oud teacher | oud
?? rare-word | What goes into mansaf? | Lamb cooked in jameed, a dried yoghurt | mansaf
?? rare-word | What did Noor eat by the Galata Bridge? | A fish sandwich from a boat, for 40 lira | fish
?? rare-word | What did the professor from Delft want from Noor? | Her slides | delft
?? rare-word | How did Noor's performance of Lamma Bada go? | Well, with only three mistakes | lamma
?? multi-hop | What building did Noor present at the Istanbul conference, and what are its walls made of? | The public library in Zarqa; rammed earth | istanbul_plan, library
?? multi-hop | Who looked after the twins while Lucas was on flood duty, and what is her job? | His wife Sienna, a midwife | sienna, midwife
?? multi-hop | How many guests came to Sami's wedding compared with the guest list for his engagement party? | 900 at the wedding versus a 600-person engagement list | 600, wedding
?? multi-hop | Which twin wants to be a garbage truck, and how did that show up at Lucas's race? | Jack; the twins' "GO DAD GO" sign had a garbage truck drawn on it | garbage, sign
?? multi-hop | Who teaches Noor the oud, and how long did he say she should wait before playing for an audience? | Ustaz Fadi; about a year | oud, not_ready
?? multi-hop | Which pet reacts badly to Lucas's new bike, and what colour is the bike? | His dog Dusty barks at it; it's bright yellow | banana, dusty_bike
?? temporal | When did it snow in Amman? | Thursday 13 January 2022 | snow
?? temporal | When was Lucas sent interstate to help with the floods? | Wednesday 23 February 2022 | floods
?? temporal | When did Noor first play the oud for her family? | Friday 17 June 2022 | oud_family
?? temporal | When did Lucas do his practice triathlon at West Lakes? | The weekend of 9-10 July 2022 (the weekend before 16 July) | westlakes
?? adversarial-distractor | What did Jack do when he saw the sea lions? | He copied them all afternoon | sealions
?? adversarial-distractor | Which of the twins lost a tooth? | Ivy | ivyjack
?? adversarial-distractor | How many people actually showed up to Sami's engagement party? | About 750 | 750
""")

# ---------------------------------------------------------------------------
# conv-05: Greta (beekeeper and cafe owner, Vermont) and Olumide
#          (data analyst, London)
# ---------------------------------------------------------------------------
CONVERSATIONS.append(r"""
=== conv-05 | Greta | Olumide
## 4:20 pm on 9 April, 2023
G: Happy Easter, Olu! Are you doing anything fun?
O: Happy Easter Greta! Just a big lunch at my mum's in Croydon. I'm so full I can't move. How about you?
G: I spent the morning opening the hives for the first proper inspection of the year. It was finally warm enough. {inspection}
O: How did the bees get through the winter?
G: Not great. I lost three of my twelve colonies. One starved, the other two I'm not sure about, maybe mites. {lost3}
O: Oh no, I'm sorry. Is that normal?
G: Sadly pretty normal in Vermont. The other nine are strong though, I spotted the queen in the big hive by the barn. [photo: a gloved hand holding up a wooden frame covered in bees] {nine}
O: I'd be terrified of getting stung all the time.
G: You get used to it. Mostly. How's the new job?
O: Three weeks in! I'm a data analyst for a bus company, working out which routes are always late and why. Route 12 is my nemesis. {olu_job}
## 9:15 am on 29 April, 2023
O: Guess who's turning 30 next week?
G: You?! Happy almost birthday! Any plans?
O: Going to Marrakech with four friends from uni. Riad, souks, maybe a day trip into the Atlas Mountains. {marrakech_plan}
G: Well I had some excitement on Thursday. One of my hives swarmed! About twenty thousand bees in a big cluster on the apple tree. {swarm}
O: That sounds like a horror movie.
G: It's actually beautiful, they're very calm when they swarm. I shook them into a box and now they're a brand new colony, so I'm back up to ten. [photo: a large brown cluster of bees hanging from an apple branch] {ten}
O: I'll stick to spreadsheets thanks.
G: Ha. How's the chess going?
O: Good, I'm playing at the Battersea club on Thursday nights now. My rating went up to 1640. {chess_club}
## 8:45 pm on 23 May, 2023
O: I'm back and I'm a 30 year old man now.
G: Welcome back old man! How was Morocco?
O: Unreal. Jemaa el-Fnaa at night is chaos, snake charmers, orange juice stalls, smoke from a hundred grills. [photo: a crowded night market square lit by food stall lamps] {jemaa}
O: And we did a hammam, where a lady scrubbed me so hard I think I lost a layer of skin. {hammam}
G: Ha! That's what it's for.
O: The best part was the Atlas day trip, we had lunch in a Berber village with a tagine cooked over charcoal. {atlas}
O: I haggled terribly though. I paid way too much for a leather bag and my friend Tunde got the same bag for half price. {bag}
G: Ha, classic. Things have been a bit scary here actually.
G: I got stung on the neck on Saturday and my throat started swelling. My neighbour drove me to the ER in Lebanon. {sting}
O: Greta! Are you ok??
G: I'm ok now. They gave me epinephrine and kept me for a few hours. I have to carry an EpiPen from now on, which is a strange thing after twenty years of beekeeping. {epipen}
O: That's so scary. Please be careful.
G: I will. Full suit from now on, no more shorts and a veil.
## 7:10 pm on 17 June, 2023
G: A bear got into the hives on Tuesday night. {bear}
O: A BEAR?
G: A young black bear. He knocked over two hives and ate a lot of the brood and honey. The bees were furious. [photo: two toppled white beehive boxes in tall grass] {toppled}
O: What do you even do about that?
G: Electric fence. My friend Dale helped me put one up around the apiary. Apparently bears hate a shock on the nose. {fence}
O: I can't believe this is your life haha. Mine is so boring in comparison. Well, except I did win the rapid tournament at the chess club last Sunday. {tournament}
G: Olu! Congratulations!
O: Thanks! And, um, I met someone there. Her name's Hannah, she beat me in a blitz game and then asked me out for coffee. {hannah}
G: Oh I love this. Are you seeing her again?
O: We're going to see a film at the BFI next week. {bfi}
G: Report back please.
O: My asthma's been bad with all the pollen though. I've had to start using my brown inhaler again every morning. {asthma}
G: Oh no. Take care of those lungs.
## 1:30 pm on 9 July, 2023
G: How was the date at the BFI?
O: Really good. We saw Quiet Harbour, a Danish film about a lighthouse keeper. Very slow, no dialogue for the first twenty minutes. Hannah loved it. I pretended to love it. {quiet_harbour}
G: Ha! That's the spirit of a second date.
O: Family news: my sister Funmi got a job at a hospital in Lagos, she's moving back in September. {funmi}
G: Big move! Is she a doctor?
O: Paediatrician. My mum is thrilled, half the family is back there. And Mum turns 60 in August so we're all flying out for a big party. {mum60}
G: How lovely.
G: My daughter Astrid is home from college for the summer and working in the café. The customers love her. {astrid}
O: What does she study?
G: Forestry at UVM. She wants to work for the Forest Service. She already knows the name of every tree on the property. {forestry}
O: She gets the nature thing from you.
G: And the stubbornness. It's been raining for days here, the river is very high.
## 10:00 am on 5 August, 2023
O: Greta, I saw the flooding in Vermont on the news. Are you ok?
G: We're ok. The café isn't. The Ottauquechee came over its banks and we had three feet of water in the basement and an inch in the dining room. {flood}
O: Oh no. I'm so sorry.
G: We lost the walk-in fridge and the espresso machine. But the whole town showed up with shovels. Strangers hauling mud out of my kitchen. {town}
O: That's incredible. Will you be able to reopen?
G: We're aiming for the start of September. Insurance is a nightmare, but at least the bees are fine, they're up the hill. {reopen_plan}
O: If there's a fundraiser I want to help.
G: You're sweet. Astrid set one up online, and one of our regulars, a retired carpenter called Walt, is rebuilding the counter for free. {walt}
O: People are amazing.
O: I'm off to Lagos on Wednesday for Mum's 60th. Funmi and I are matching in aso ebi. {lagos_plan}
G: What's aso ebi?
O: Matching outfits in the same fabric that family and friends wear to a party. Mum picked purple and gold. {aso_ebi}
G: Take pictures!
## 6:30 pm on 2 September, 2023
O: I'm back from Lagos. Still recovering.
G: How was the party?
O: Massive. About 300 people, a live band playing juju music, and my mum danced for three hours straight at 60. [photo: a woman in a purple and gold head wrap dancing in a crowd] {party}
G: Ha, amazing. What did you give her?
O: Funmi and I paid for her to go on a trip to Zanzibar with her friends. She cried. {gift}
G: That's lovely Olu.
O: How's the café?
G: We reopened on Thursday! The counter Walt built is gorgeous, all reclaimed barn wood. {reopened}
O: Yes!!! So happy for you.
G: And the honey harvest was great despite the bear. Almost 400 pounds, mostly basswood honey this year, very light and a little minty. {harvest}
O: Basswood?
G: The American linden tree. It blooms in July and the bees go crazy for it. [photo: rows of honey jars glowing on a windowsill] {basswood}
## 8:20 pm on 15 October, 2023
O: I ran the Royal Parks Half last Sunday! {half}
G: Congratulations! How long did it take?
O: 1:49! Way under my goal. The Peckham Pacers were cheering at mile 10, it carried me home. [photo: a finisher medal lying on a crumpled race bib] {time_149}
G: Is that your running club?
O: Yes, we run Tuesday nights from Peckham Rye. Hannah came to watch with a sign that said "RUN LIKE YOUR ROOK IS HANGING". {sign}
G: Ha, I don't understand it but I love it.
O: It's a chess joke. A hanging piece is one that's about to be captured.
G: I've started rehearsals with the community choir. We're doing Handel's Messiah in December at the Congregational church. {messiah}
O: Are you a soprano?
G: Alto. The Hallelujah chorus is harder than it sounds. {alto}
O: Will your family come?
G: My son Henrik is flying in from Colorado for Christmas, so he'll be there. He's a ski patroller in Breckenridge, so he can never get away before Christmas. {henrik}
O: Ski patrol sounds like a cool job.
## 11:05 am on 4 November, 2023
O: News! I got promoted to senior analyst. {promotion}
G: Olu! Only eight months in! Congratulations!
O: Thanks! The lateness model I built for Route 12 is now used for the whole south London network. {model}
G: Your nemesis made you famous, ha.
G: I've been putting the bees to bed for winter. I wrap each hive in black insulation so they stay warm. [photo: beehives wrapped in black insulation boards in a snowy field] {wrap}
O: Do the bees sleep?
G: Not exactly. They cluster together and shiver to make heat, and the queen stays in the middle. {cluster}
O: That's kind of beautiful.
G: Astrid's back at UVM. She's just been on a field trip measuring old hemlocks in the Green Mountains. [photo: a young woman wrapping a tape measure around a huge hemlock trunk] {hemlock}
O: Very on brand.
O: Hannah and I are going to Lisbon for a long weekend in December. {lisbon}
G: Oh how romantic!
O: There's a chess café there she's been desperate to try haha.

?? single-hop | How many bee colonies did Greta have going into the winter? | Twelve | lost3
?? single-hop | Where does Olu play chess? | At the Battersea club, on Thursday nights | chess_club
?? single-hop | What does Greta's son do for a living? | He is a ski patroller in Breckenridge, Colorado | henrik
?? paraphrase | How did Greta end up in hospital in the spring? | A sting on the neck made her throat swell; a neighbour drove her to the ER | sting
?? paraphrase | What happened to Olu at the Moroccan bathhouse? | He was scrubbed so hard he felt he lost a layer of skin | hammam
?? paraphrase | What keeps wild animals away from Greta's bee yard now? | An electric fence | fence
?? paraphrase | Did Olu genuinely enjoy the picture he watched with his new girlfriend? | No, he only pretended to love it | quiet_harbour
?? paraphrase | How did Greta's neighbours respond after the disaster? | The whole town came with shovels and hauled mud out of her kitchen | town
?? paraphrase | How do the insects survive the cold months without hibernating? | They cluster and shiver to make heat, with the queen in the middle | cluster
?? rare-word | What did Olu see at Jemaa el-Fnaa? | Snake charmers, orange juice stalls and smoke from grills | jemaa
?? rare-word | What is aso ebi? | Matching outfits from the same fabric worn by family and friends at a party | lagos_plan, aso_ebi
?? rare-word | What is basswood honey like? | Very light and a little minty | harvest, basswood
?? rare-word | Who are the Peckham Pacers? | Olu's running club, which runs on Tuesday nights from Peckham Rye | time_149, sign
?? rare-word | Who is Walt? | A retired carpenter and café regular who rebuilt Greta's counter for free | walt
?? multi-hop | How many colonies did Greta have once the swarm was boxed, and how many had she lost over the winter? | Ten after the swarm; she had lost three of twelve | lost3, ten
?? multi-hop | Where did Olu meet Hannah, and what had he just won there? | At the chess club; the rapid tournament | tournament, hannah
?? multi-hop | Who built the new counter at Greta's café, and what is it made from? | Walt, a retired carpenter; reclaimed barn wood | walt, reopened
?? multi-hop | What present did Olu and his sister give their mother, and what is the sister's job? | A trip to Zanzibar with her friends; Funmi is a paediatrician | gift, funmi
?? multi-hop | How did the bus route Olu struggled with at work end up helping his career? | His lateness model for Route 12 was adopted across south London and he was promoted to senior analyst | olu_job, model, promotion
?? multi-hop | What damaged Greta's hives in June, and who helped her protect them afterwards? | A young black bear; her friend Dale helped build an electric fence | bear, fence
?? temporal | When did Greta's hive swarm? | Thursday 27 April 2023 | swarm
?? temporal | When was Greta stung and taken to the ER? | Saturday 20 May 2023 | sting
?? temporal | When did Greta's café reopen after the flood? | Thursday 31 August 2023 | reopened
?? temporal | When did Olu run the Royal Parks Half? | Sunday 8 October 2023 | half
?? adversarial-distractor | What did Olu overpay for in Marrakech? | A leather bag | bag
?? adversarial-distractor | What is Greta's daughter studying? | Forestry at UVM | forestry
?? adversarial-distractor | Where are Olu and Hannah going in December? | Lisbon, for a long weekend | lisbon
""")

# ---------------------------------------------------------------------------
# conv-06: Saoirse (seagrass ecologist, Galway) and Anton (violin maker, Brno)
# ---------------------------------------------------------------------------
CONVERSATIONS.append(r"""
=== conv-06 | Saoirse | Anton
## 7:05 pm on 14 January, 2024
S: Happy new year Anton! Did you survive the holidays?
A: Saoirse! Just barely. Too much cukroví, the little Christmas biscuits. Petra baked eleven kinds. {cukrovi}
S: Eleven! That's commitment.
A: It's a competition between her and her mother. Every year. How was your Christmas?
S: Lovely. I did the Christmas Day swim at the Salthill diving tower, the water was 9 degrees. Then straight to Niamh's parents for dinner. [photo: swimmers in Santa hats jumping off a concrete diving tower into grey water] {xmas_swim}
A: Nine degrees! You Irish are mad.
S: Haha it's very good for the soul. What are you working on in the workshop?
A: A viola. It's for the Mittenwald competition in September, my first competition in six years. {viola}
S: Exciting! What makes a good viola?
A: The wood, mostly. The top is spruce from the Val di Fiemme in Italy, the back is Bosnian maple with a beautiful flame. [photo: a pale unvarnished viola back with rippling flame patterns] {wood}
S: It's gorgeous already.
A: Thank you. Nine more months of work. How is the seagrass?
S: Funding came through! Three years to replant seagrass meadows in Galway Bay. We start collecting seeds in the summer. {funding}
A: Congratulations. I have to admit I don't really know what seagrass does.
S: It's a nursery for baby fish and it stores loads of carbon. Ireland's lost most of it to dredging and pollution. {seagrass}
## 12:40 pm on 3 February, 2024
A: I did something stupid this week.
S: Uh oh.
A: I slipped with a gouge on Tuesday and cut my thumb. Six stitches. {thumb}
S: Ouch! Can you still work?
A: Only simple things. Klára has been helping me sand the viola ribs. She's very serious about it. {klara_help}
S: That's sweet. How old is she now?
A: Twelve. She plays cello, so she is very critical of my work. {klara_cello}
S: A tough customer haha.
S: We got the keys to the cottage in Spiddal yesterday! {keys}
A: The one by the sea?
S: Yes! It needs a new roof, new windows, new everything. Niamh is already picking paint colours. [photo: a whitewashed stone cottage with a sagging roof facing the sea] {cottage}
A: Old houses are like old instruments, they need patience.
S: That's going on a fridge magnet.
## 9:20 pm on 25 February, 2024
S: Camogie season has started and I'm already bruised.
A: Camogie?
S: It's the women's version of hurling. Sticks, a small hard ball, lots of running. I play for Bearna. {camogie}
A: It sounds dangerous.
S: It's grand. Mostly. I took a sliotar to the knee at training on Thursday and it's purple now. {sliotar}
A: What is a sliotar?
S: The ball! Leather, a bit like a small cricket ball. [photo: a bruised knee next to a white leather ball on grass] {sliotar_photo}
A: Ouch. I prefer violins.
A: Knedlík went to the vet on Friday. He's too fat, the vet says. Klára feeds him under the table. {knedlik}
S: Haha is he the dachshund? I remember the photo.
A: Yes. Now he's on a diet and he looks at me like I'm a criminal. {diet}
S: Poor guy. Niamh and I are thinking of getting a dog for the cottage.
A: Get a dachshund. Small dog, big personality.
S: I'll suggest it haha.
## 6:15 pm on 16 March, 2024
S: Happy almost Paddy's day! My brother Cathal got his visa for Canada, he's moving to Vancouver in May. {cathal}
A: Big move! What will he do there?
S: He's an electrician, there's loads of work over there apparently. Mam is heartbroken though. {electrician}
A: My brother moved to Chicago twenty years ago. My mother still sets a place for him at Christmas. {anton_brother}
S: Oh that's sad.
A: I finished the book you recommended, The Cartographer's Widow. {cartographer}
S: Well??
A: Beautiful. The chapter where she burns the maps of the island made me stop reading for a day. {maps}
S: I know! I cried on a train over that chapter.
A: My thumb is healed. The stitches came out on Monday. {stitches}
S: Back to proper carving?
A: Yes, I am carving the scroll of the viola now. The hardest part, very small cuts. [photo: a half-carved spiral viola scroll held in a vice] {scroll}
S: Mind your thumbs!
## 8:30 am on 13 April, 2024
S: I'm off the diving for a month. Ear infection. {ear}
A: Oh no, from the sea?
S: Probably. The GP says no water until it clears. It's killing me, the water's just getting nice. {gp}
A: What do you do instead?
S: Lab work. I'm counting seagrass seeds under a microscope, they look like tiny brown rice grains. {seeds}
A: I know this kind of patience.
A: Klára had her cello recital at the conservatory on Wednesday. She played the Elgar, the slow movement. {recital}
S: Oh wow. How did she do?
A: Perfect. I was shaking more than her. Petra recorded it on her phone and has watched it maybe a hundred times. [photo: a girl in a black dress playing cello on a stage] {hundred}
S: Proud parents. Did she play on a cello you made?
A: No, she refuses. She says my cellos are "for customers". {customers}
S: Haha ruthless.
## 5:45 pm on 5 May, 2024
A: We just got back from four days in the Tatras. Klára, Petra, me and Knedlík. {tatras}
S: The mountains in Slovakia?
A: Yes. We walked up to Popradské pleso, a mountain lake. Knedlík walked the whole way, thanks to his diet! [photo: a small dachshund on a rocky path beside a mountain lake] {pleso}
S: Go Knedlík! The diet is working.
A: He lost one kilo. Big success for a small dog. {kilo}
S: That's like a person losing 10 kilos!
S: Cathal's going-away party was last night. The whole family in Tigh Giblin till 2 am. {party}
A: Tigh?
S: Irish for "house". Giblin's house. It's a pub in Spiddal, down the road from the cottage. {tigh}
A: I like this language.
S: Me too. Niamh and I are trying to speak more Irish at home since we live in the Gaeltacht now. {gaeltacht}
A: Gaeltacht?
S: An area where Irish is still the main community language. Spiddal's one of them. {spiddal_g}
## 10:10 pm on 1 June, 2024
S: Back in the water! Ear's all clear. {back_water}
A: Wonderful. And the seeds?
S: We planted the first test plot last Thursday, off Inis Mór. 2,000 seeds in hessian bags on the seabed. {plot}
A: Hessian bags?
S: They rot away and the seeds stay put. Clever, right? We'll check on them in the autumn. {hessian}
A: Very clever.
A: My viola is almost finished. The varnish is on, now it dries in the sun for weeks. [photo: a glossy amber viola hanging in a sunny window] {varnish}
S: Oh that colour!
A: I make the varnish myself, from a 200-year-old recipe with propolis from beehives. {propolis}
S: Propolis? The bee glue?
A: Yes! It makes the colour warm and golden.
S: Niamh said yes to the dog by the way. We're going to a rescue in Oughterard next Saturday. {rescue}
## 3:35 pm on 29 June, 2024
S: Meet Tadhg! {tadhg}
A: Who is Tadhg?
S: Our new dog! He's a lurcher, about three, from the rescue in Oughterard. Very long legs and he sleeps on the windowsill. [photo: a grey shaggy lurcher stretched out on a cottage windowsill] {lurcher}
A: Not a dachshund then haha.
S: Sorry Knedlík. He's a gentle giant though.
A: My news: I played the viola for the first time yesterday. It sings. {played}
S: Anton!! Congratulations. How does it sound?
A: Dark and warm in the low strings, like chocolate. I am happy. Now I send it to Mittenwald in August. {chocolate}
S: Fingers crossed.
A: And my father turns 70 next week. We are making him a party in the garden in Třebíč. {father}
S: Happy birthday to him! Is he still making things?
A: He's a retired carpenter. He still makes chairs for everyone, even people who do not need chairs. {chairs}
S: Haha so that's where you get it from.

?? single-hop | What does Saoirse's brother do for work? | He's an electrician | electrician
?? single-hop | What wood is the back of Anton's viola made from? | Bosnian maple with a flame figure | wood
?? single-hop | What was Anton's father's trade? | Carpentry; he's a retired carpenter who still makes chairs | chairs
?? paraphrase | How cold was it when Saoirse went in for her festive dip? | 9 degrees | xmas_swim
?? paraphrase | What is the ecological value of the plants Saoirse studies? | They are nurseries for young fish and store a lot of carbon | seagrass
?? paraphrase | How did Anton injure his hand at his bench? | He slipped with a gouge and cut his thumb, needing six stitches | thumb
?? paraphrase | Why is Anton's pet being made to eat less? | The vet said he's overweight because Klára feeds him under the table | knedlik
?? paraphrase | Why did Saoirse have to stay on dry land for several weeks? | She had an ear infection and the GP said no water | ear
?? paraphrase | Why won't Anton's daughter perform on instruments her dad builds? | She says his cellos are "for customers" | customers
?? rare-word | What is a sliotar? | The leather ball used in hurling and camogie, like a small cricket ball | sliotar, sliotar_photo
?? rare-word | What did Anton think of The Cartographer's Widow? | Beautiful; the chapter where she burns the maps stopped him reading for a day | cartographer, maps
?? rare-word | How did Knedlík manage on the walk to Popradské pleso? | He walked the whole way, thanks to his diet | pleso
?? rare-word | What does Anton use propolis for? | In his home-made varnish, from a 200-year-old recipe, to make it warm and golden | propolis
?? rare-word | What is Tigh Giblin? | A pub in Spiddal near Saoirse's cottage, where Cathal's farewell was held | party, tigh
?? multi-hop | What kind of dog did Saoirse adopt, and where did she go to get him? | A lurcher, from a rescue in Oughterard | rescue, lurcher
?? multi-hop | Who helped Anton in the workshop after his accident, and which instrument does she play? | His daughter Klára; the cello | thumb, klara_help, klara_cello
?? multi-hop | Where is Saoirse's cottage, and why are she and Niamh trying to speak more Irish there? | In Spiddal, which is in the Gaeltacht where Irish is the main community language | keys, gaeltacht, spiddal_g
?? multi-hop | Where does the wood for the viola's top come from, and how does the finished instrument sound? | Spruce from the Val di Fiemme; dark and warm in the low strings, like chocolate | wood, chocolate
?? multi-hop | Where was Cathal's farewell party, and where is he emigrating to? | Tigh Giblin, a pub in Spiddal; Vancouver | party, cathal
?? multi-hop | Which part of the viola was Anton carving once his hand healed, and what competition is the instrument for? | The scroll; the Mittenwald competition | scroll, viola
?? temporal | When did Anton cut his thumb? | Tuesday 30 January 2024 | thumb
?? temporal | When did Saoirse and Niamh get the keys to the cottage? | Friday 2 February 2024 | keys
?? temporal | When was Klára's cello recital? | Wednesday 10 April 2024 | recital
?? temporal | When was the first seagrass test plot planted off Inis Mór? | Thursday 30 May 2024 | plot
?? adversarial-distractor | Which instrument is Anton entering in the competition? | A viola | viola
?? adversarial-distractor | Which city is Saoirse's brother moving to? | Vancouver | cathal
?? adversarial-distractor | How much weight did the dachshund lose? | One kilo | kilo
""")

# ---------------------------------------------------------------------------
# conv-07: Rafael (Brazilian food-truck owner, Austin) and Wren (librarian and
#          novelist, Duluth)
# ---------------------------------------------------------------------------
CONVERSATIONS.append(r"""
=== conv-07 | Rafael | Wren
## 6:20 pm on 2 October, 2022
W: Rafa! How's truck life? I saw your post about the line around the block.
R: Wren! It's been crazy. Since the Austin Chronicle wrote about us, people wait 40 minutes for a picanha sandwich. {chronicle}
W: That's amazing! What's picanha?
R: It's the top cut of the rump, with the fat cap left on. In Brazil it's the king of the churrasco. I grill it over post oak. [photo: slices of pink grilled beef with a thick fat cap on a wooden board] {picanha}
W: I'm drooling and I literally just ate dinner.
R: Haha. What about you, how's Duluth?
W: Getting cold already. The leaves along Skyline Parkway are peak orange this week. {skyline}
R: I miss real autumn. Texas just goes from hot to slightly less hot.
W: Ha. Big news on my side, I finished the first draft of my novel last night! {draft}
R: WREN! The mystery one?
W: Yes, The Lantern Keeper. A lighthouse keeper's daughter on Lake Superior finds a body in the fog, 1905. 94,000 words. {lantern}
R: I need to read it. When does it come out?
W: Ha, slow down. Now I revise it for a year and then beg agents to read it. {revise}
## 8:05 pm on 29 October, 2022
R: Cacau learned a new word and it's a problem. {cacau_word}
W: Oh no. What did he learn?
R: He heard Marcus yelling at a football game on TV and now he screams "FLAG! FLAG!" every time the doorbell rings. {flag}
W: Hahaha. Cacau is the parrot, right?
R: Yes, my blue-fronted amazon. He's 22 and he came with me from Brazil. Older than some of my customers haha. {amazon}
W: Birds live so long!
R: He'll probably outlive me. Marcus says he's in the will.
W: How is Marcus? Football season must be intense.
R: He coaches the JV team at a high school in Round Rock, so every Friday night is a game. They're 6 and 1! {marcus}
W: Go team! Felix started hockey this week, he's so excited. {felix_hockey}
R: How old is your boy now?
W: Ten. He skates better than he walks. His first game is in two weeks at the Heritage Center. [photo: a small hockey player in a huge helmet on an ice rink] {felix_age}
R: A future NHL star.
## 7:40 am on 26 November, 2022
W: Happy belated Thanksgiving! Did you work?
R: Yes, we did a Brazilian-Texan Thanksgiving menu on the truck, smoked turkey with farofa. Sold out by 2. {farofa}
W: Farofa?
R: Toasted cassava flour with bacon and onion. Brazilians put it on everything. {farofa_desc}
W: I need to try that. I did Thanksgiving at my mom's with Felix. I brought eggs from the girls.
R: The girls?? Wait, you have chickens now?
W: Three hens, since August. Emily, Sylvia and Mary, all named after poets. [photo: three brown hens in a snowy backyard coop] {hens}
R: That's so you.
W: Sylvia is the boss. She pecks my boots every single morning. {sylvia}
R: I've got a health thing, actually. My doctor says my blood pressure is too high. 150 over 95. {bp}
W: Oh Rafa. Are you ok?
R: I'm ok, but I have to cut salt and stress. Which is funny when you own a food truck. Marcus has started hiding the salt. {salt}
W: Good man. Take care of yourself.
R: I'm going back to capoeira twice a week too. Nothing clears my head like getting kicked at by my mestre. {capoeira}
## 9:55 pm on 8 January, 2023
W: Happy new year from a hospital bed. Well, my couch now.
R: WHAT? What happened?
W: Gallbladder. I had an attack on New Year's Eve, and they took it out on the 3rd. Keyhole surgery, four tiny holes. {gallbladder}
R: Oh no! Are you ok?
W: I'm ok! Sore, but apparently I can eat whatever I want in a few weeks. My mom is staying to help with Felix.
R: Rest please. No shovelling snow.
W: Ha, my neighbour Arvid has been doing my driveway. He's 78 and does it faster than I ever could. {arvid}
R: Respect to Arvid.
R: My news is happier. I'm going home for Carnaval in February! Two weeks in Salvador. {carnaval_plan}
W: Amazing! Will you see your brother?
R: Tiago, yes! My twin. We haven't been together at Carnaval since we were 25. He plays in a bloco, an afro drumming group. {tiago}
W: That sounds incredible. Who's running the truck while you're away?
R: My cook Dani. She's been with me three years, she's the real boss. {dani}
W: Every good business has a Dani.
## 5:15 pm on 4 February, 2023
W: I volunteered at the Beargrease last weekend! {beargrease}
R: The what?
W: The John Beargrease sled dog marathon. 300 miles along the North Shore. I was at a checkpoint handing out hot cocoa to mushers at 3 am. [photo: sled dogs in booties resting on straw under floodlights] {mushers}
R: That is the most Minnesota sentence I've ever read.
W: Ha. It was -24 and I loved every minute. {minus24}
R: I fly to Salvador in 10 days. Cacau is staying with Marcus. {fly}
W: Will Cacau be ok?
R: He'll be fine, he loves Marcus more than me. He does a little dance when Marcus comes home. {dance}
W: Traitor bird.
W: Oh, book news! I sent The Lantern Keeper to a friend from my writing group, she's going to do a full critique. {critique}
R: Nervous?
W: Terrified. She's a retired English teacher. She will find every comma.
R: Better her than an agent.
## 11:30 am on 5 March, 2023
R: I'm back from Salvador! My ears are still ringing.
W: How was Carnaval?!
R: Insane. Five days of drums. Tiago's bloco played in Pelourinho and I marched with them. I cried when they started. [photo: drummers in white and yellow filling a narrow cobbled street] {pelourinho}
W: That gave me chills.
R: And my mom made moqueca every other day. Fish stew with coconut milk and dendê oil. I gained 3 kg. {moqueca}
W: Worth it.
R: The doctor won't agree haha. Oh, and SXSW starts Friday, our busiest week of the year. {sxsw_start}
W: Isn't that a music festival?
R: Music, film, tech, everything. Hundreds of thousands of people downtown and they're all hungry. {sxsw}
W: I went to Santa Fe last week to see my sister June. {santafe}
R: How was it?
W: Bright and dry and wonderful. We hiked near Abiquiú where Georgia O'Keeffe painted. Felix found a lizard and named it Gerald. [photo: a boy crouching over a tiny lizard on a red rock] {gerald}
R: Gerald the lizard haha.
## 7:00 pm on 1 April, 2023
R: SXSW was a disaster and a success at the same time.
W: Tell me.
R: The generator on the truck died on the first Saturday, the busiest day. We lost the whole lunch rush. {generator}
W: Oh no!!
R: But then a guy from the bar next door ran an extension cable across the alley and we were back by 5pm. We gave his staff free pão de queijo all week. {cable}
W: What's pão de queijo?
R: Cheese bread, little chewy balls made with tapioca flour. Addictive. [photo: a basket of small golden cheese bread rolls] {paodequeijo}
W: The kindness of strangers.
W: My friend finished the critique. 14 pages of notes. {notes}
R: 14 pages!
W: She says the middle sags and the detective is "too nice". But she loved the ending. {sags}
R: Is that good?
W: Honestly yes. I'm rewriting the middle now, every morning before work at 5 am. {5am}
## 2:45 pm on 7 May, 2023
W: I have to tell someone. I got an agent! {agent}
R: WREN!!!! For The Lantern Keeper?
W: Yes! Her name is Priya Raman, she's in New York. She read the new version in a weekend and called me on Thursday. {priya}
R: I'm so proud of you. What happens now?
W: More edits, then she sends it out to publishers in the fall. Fingers crossed. {fall}
R: Champagne time.
W: Felix made me a card with a lighthouse on it. I'm framing it. [photo: a child's crayon drawing of a lighthouse with a yellow beam] {card}
R: That's the best part.
R: Our news: we signed the lease for a real restaurant! On East Cesar Chavez. Brasa Verde is getting walls. [photo: an empty brick storefront with a hand-drawn sign taped to the window] {restaurant}
W: RAFA! From a truck to a restaurant!
R: Opening in the fall if the permits go through. Marcus already wants to do the playlist. {permits}
W: And your blood pressure?
R: 128 over 82 at the last check. Less salt, more capoeira. {bp_down}

?? single-hop | What does Rafael's partner do for work? | He coaches a high school JV football team in Round Rock | marcus
?? single-hop | Who runs Rafael's food truck when he is away? | Dani, his cook of three years | dani
?? single-hop | How old is Wren's son Felix? | Ten | felix_age
?? paraphrase | What made customers start queueing so long at Rafael's truck? | A write-up in the Austin Chronicle | chronicle
?? paraphrase | What does Rafael's pet shout when someone is at the door? | "FLAG! FLAG!" | flag
?? paraphrase | What is Rafael's boyfriend doing to help with his health? | Hiding the salt | salt
?? paraphrase | Which organ did Wren have removed? | Her gallbladder | gallbladder
?? paraphrase | How did Rafael's team restore electricity during the festival? | The bar next door ran an extension cable across the alley | cable
?? paraphrase | What criticism did Wren's manuscript receive? | The middle sags and the detective is too nice (though the ending was loved) | sags
?? rare-word | What is The Lantern Keeper about? | A lighthouse keeper's daughter on Lake Superior who finds a body in the fog in 1905 | lantern
?? rare-word | What is farofa? | Toasted cassava flour with bacon and onion | farofa, farofa_desc
?? rare-word | What did Wren do at the Beargrease? | She handed out hot cocoa to mushers at a checkpoint at 3 am | beargrease, mushers
?? rare-word | What did Felix find near Abiquiú? | A lizard, which he named Gerald | gerald
?? rare-word | Who is Priya Raman? | Wren's new literary agent, based in New York | priya
?? multi-hop | Who is Tiago, and where did his drumming group play during Carnaval? | Rafael's twin brother; in Pelourinho | tiago, pelourinho
?? multi-hop | Who looked after Cacau while Rafael was in Brazil, and how does the bird behave around him? | Marcus; Cacau does a little dance when he comes home | fly, dance
?? multi-hop | What is Wren's novel called, and who is representing it? | The Lantern Keeper; agent Priya Raman | lantern, priya
?? multi-hop | How has Rafael's blood pressure changed since his doctor's warning? | From 150/95 down to 128/82 | bp, bp_down
?? multi-hop | What kind of bird is Cacau, and what did he learn to shout? | A blue-fronted amazon parrot; "FLAG! FLAG!" | amazon, flag
?? multi-hop | What are Wren's hens called, and which one is in charge? | Emily, Sylvia and Mary; Sylvia is the boss | hens, sylvia
?? temporal | When did Wren finish the first draft of her novel? | Saturday 1 October 2022 (the night before 2 October) | draft
?? temporal | When did Wren have her gallbladder removed? | 3 January 2023 | gallbladder
?? temporal | When did Wren volunteer at the Beargrease? | The weekend of 28-29 January 2023 | beargrease
?? temporal | When did the generator on Rafael's truck break down? | Saturday 11 March 2023, the first Saturday of SXSW (which started Friday 10 March) | generator, sxsw_start
?? temporal | When did Priya Raman call Wren? | Thursday 4 May 2023 | priya
?? adversarial-distractor | What did Rafael give the bar staff next door? | Free pão de queijo all week | cable
?? adversarial-distractor | Where does Wren's sister live? | Santa Fe | santafe
?? adversarial-distractor | What did Rafael serve on the truck for Thanksgiving? | Smoked turkey with farofa | farofa
""")

# ---------------------------------------------------------------------------
# conv-08: Amara (astrophysics PhD student, Cape Town) and Lev (physiotherapist
#          and motorcycle restorer, Montreal)
# ---------------------------------------------------------------------------
CONVERSATIONS.append(r"""
=== conv-08 | Amara | Lev
## 9:30 pm on 8 October, 2023
A: Lev! Sorry for the silence, I've been in the Karoo all week. {karoo}
L: Amara! Observing again? At the big telescope?
A: Yes, five nights at SALT in Sutherland. Clear skies every night, which never happens. I got all the data I need for the last chapter of my thesis. {salt}
L: Wonderful. What were you looking at?
A: A pulsating white dwarf, a dead star that flickers every few minutes. Mine has a weird wobble in its rhythm that nobody can explain yet. {dwarf}
L: A flickering dead star. Sounds like a Russian poem.
A: Haha. How are things in Montreal?
L: Autumn is here. And I have a new project. I bought a 1972 Jawa 350 that was sitting in a barn in the Eastern Townships for thirty years. [photo: a rusty red vintage motorcycle in a hay-filled barn] {jawa}
A: Is that a motorbike?
L: A Czechoslovak motorcycle. My father had the same model in Leningrad when I was a boy. He took me to school on it. {father_jawa}
A: That's so special. Does it run?
L: Not yet. Mice were living in the air filter. It will be a long winter in the garage. {mice}
## 7:15 am on 28 October, 2023
L: Good morning from Montreal. Or is it afternoon for you?
A: Afternoon, 1:15. Themba and I just got back from the lobola negotiations! {lobola}
L: Lobola? I don't know this word.
A: It's the bride price talks between the two families before a traditional wedding. Themba's uncles came to my family home with gifts, and my uncles negotiated. They talked for six hours. {lobola_desc}
L: Six hours! What was the result?
A: Agreed! Eleven cows, paid in cash these days, don't worry. Nobody brought actual cows to Cape Town haha. {cows}
L: Haha I was imagining cows in the street.
A: So the wedding is officially on. We're thinking April, after I submit my thesis. {wedding_april}
L: Congratulations! My wife Irina will want to send a gift.
L: Misha called yesterday. He's decided to switch from mechanical engineering to physics. {misha_physics}
A: Ooh, a physicist! Good choice.
L: He says it is your fault. He read your article about white dwarfs. {your_fault}
A: Haha I'll take that.
## 10:50 pm on 19 November, 2023
A: Load-shedding is going to make me lose my mind. {loadshedding}
L: What is load-shedding?
A: Scheduled power cuts. The grid can't keep up, so they switch off each area for a few hours, sometimes twice a day. We're on stage 4 right now. {stage4}
L: How do you work?
A: I bought a power bank the size of a brick and I work at the campus library, it has a generator. My laptop died in the middle of a simulation yesterday and I lost two days of work. {lost_sim}
L: Oh no. That is painful.
L: I had a bad week too. Kidney stone. I thought I was dying, Irina drove me to the Jewish General at 3 am on Tuesday. {kidney}
A: Lev! Are you ok now?
L: Yes, it passed on its own after two days. The doctor says drink more water and less tea. I am Russian, I cannot drink less tea. {tea}
A: Haha you'll have to try. Please look after yourself.
L: Gogol was very worried about me. Well, no. Gogol does not notice anything. {gogol}
A: Who is Gogol?
L: My tortoise! He is 41 years old. My mother bought him in Leningrad before I was born and I brought him to Canada. [photo: an old tortoise eating a strawberry on a kitchen floor] {tortoise}
A: You brought a tortoise across the world?
L: With papers! Mostly. It is a long story.
## 6:40 pm on 16 December, 2023
A: I have tick bite fever. {tick}
L: A what?
A: From hiking in the Cederberg last weekend. A tick bit me on the ankle and now I've got a fever, a rash and a black spot where it bit. The doctor gave me antibiotics. {cederberg}
L: I am sorry. You must rest, physiotherapist's orders.
A: I'm resting. Mostly. I'm writing the thesis in bed. [photo: a laptop on a duvet surrounded by printed graphs and tissues] {bed}
L: That is not resting.
A: Haha. What's new with the motorbike?
L: The engine runs! I cleaned the carburettor and it started on the third kick. The whole street heard it. {engine}
A: Yes!!! Did you ride it?
L: Only to the end of the street. Irina watched from the window. She says I looked 20 years younger and 20 years more stupid. {irina}
A: Haha I love her.
L: Irina is playing a piano concert on the 22nd, Christmas music with her students. {concert}
## 8:25 pm on 20 January, 2024
L: Happy new year! I have been ice fishing on Lac Saint-Jean with my friend Gilles. {icefish}
A: Ice fishing? On a frozen lake?
L: Yes, in a little wooden hut on the ice, with a hole in the floor and a heater. We caught ouananiche, a landlocked salmon. {ouananiche}
A: That sounds cold. How thick was the ice?
L: 60 centimetres. You could drive a truck on it. Gilles did, actually. [photo: small colourful wooden huts on a frozen white lake] {huts}
A: Madness.
A: I'm fully recovered from the tick fever. And the first full draft of my thesis is done, 212 pages. {draft}
L: Bravo, Amara!
A: My supervisor Professor Naidoo is reading it now. She is very thorough, I'm expecting red ink everywhere. {naidoo}
L: This is normal. Red ink means she cares.
A: That's what I tell myself.
## 5:05 pm on 18 February, 2024
A: Red ink everywhere, as predicted. But she says it's nearly ready to submit! {red_ink}
L: Wonderful! When?
A: End of March, if I survive. Themba is cooking every night so I can work. His umngqusho is getting very good. {themba_cook}
L: What is that?
A: Samp and beans, slow cooked. Nelson Mandela's favourite, apparently. {samp}
A: Oh and a baboon stole my sandwich at Cape Point yesterday. Right out of my hand. {baboon}
L: Haha what! Were you hurt?
A: Only my pride. He sat on the wall and ate it in front of me. [photo: a baboon sitting on a stone wall eating a sandwich] {baboon_photo}
L: I am going to Iceland in March! Irina and I, for our 25th anniversary. {iceland_plan}
A: Oh you have to see the aurora!
L: That is the plan. Can you tell me how to find it?
A: Check the Kp index forecast, get away from city lights, and look north. If it's 4 or more you have a good chance. {kp}
## 9:00 pm on 23 March, 2024
L: Amara, we saw it! The aurora! {aurora}
A: NO WAY! Tell me everything!
L: On our third night, near Vík. Kp was 5, like you said. Green curtains moving across the sky, sometimes pink at the bottom. Irina cried. [photo: green and pink aurora over a black sand beach] {vik}
A: I'm so happy. That's on my list too.
L: An astrophysicist who has never seen the aurora?
A: I live in Cape Town! Wrong hemisphere for the northern lights. I've seen the southern ones once, very faintly, from a research ship. {southern}
L: How is the thesis?
A: I submitted it yesterday!!! {submitted}
L: Congratulations, doctor!
A: Not yet doctor haha. I have to defend it first, in June probably. {defense}
L: Then I will wait until June to call you doctor.
## 1:20 pm on 20 April, 2024
A: I'm married!!! {married}
L: Congratulations!!! When?
A: Last Saturday. The traditional ceremony in Mthatha at my grandmother's house. The white wedding is still to come, next month. {mthatha}
L: Two weddings! How was the first?
A: Beautiful. I wore an isiXhosa dress in ochre and white with beadwork, and my grandmother danced. Themba's family brought a sheep, an actual sheep this time. [photo: a bride in an ochre and white traditional dress with beadwork] {ochre}
L: Haha after the cows joke.
A: Exactly!
L: I have small news. Misha is coming home for the summer and he wants to help me finish the Jawa. {misha_help}
A: A father-son project!
L: Yes. He says physics will help. I say a wrench will help. {wrench}
A: Haha you're both right.
L: And Gogol woke up from hibernation last week. He ate a whole strawberry. {gogol_wake}
## 4:45 pm on 19 May, 2024
A: The white wedding was perfect, by the way. We did it at a vineyard in Stellenbosch. {stellenbosch}
L: And the first dance?
A: Themba stepped on my dress twice. Nobody noticed except the photographer. {dance}
L: Ha. And the defence?
A: Set for June 14. I'm practising my presentation to Themba and the cat every night. {june14}
L: You have a cat?
A: Themba's cat, Biko. He came with the husband. Very judgemental audience. {biko}
L: The Jawa is finished! Misha and I rode it around Mont Royal yesterday, with Misha on the back. {ride}
A: Lev!! After all those months!
L: Like my father took me to school. The same motorcycle, fifty years later. I was not crying, there was wind in my eyes. [photo: a restored red motorcycle gleaming in a city park] {wind}
A: That's the most beautiful thing. Completely full circle.
L: Now you defend your thesis, and then I call you doctor.

?? single-hop | What instrument does Lev's wife play? | The piano (she gave a Christmas concert with her students) | concert
?? single-hop | Who is supervising Amara's thesis? | Professor Naidoo | naidoo
?? single-hop | How thick was the ice on the lake where Lev went fishing? | 60 centimetres | huts
?? paraphrase | How did Lev get to lessons when he was little? | On his father's Jawa motorcycle | father_jawa
?? paraphrase | Why are there so many outages in Amara's city? | Scheduled power cuts because the grid can't keep up | stage4
?? paraphrase | What medical emergency sent Lev to hospital in the middle of the night? | A kidney stone | kidney
?? paraphrase | Which habit is Lev unwilling to give up for his health? | Drinking tea | tea
?? paraphrase | What did a wild animal snatch from Amara on the coast? | Her sandwich (a baboon at Cape Point) | baboon
?? paraphrase | How did Lev's partner react when they saw the northern lights? | Irina cried | vik
?? rare-word | What happens during lobola negotiations? | The two families' uncles negotiate the bride price with gifts before a traditional wedding; it took six hours | lobola, lobola_desc
?? rare-word | What is ouananiche? | A landlocked salmon | ouananiche
?? rare-word | What did Amara pick up while hiking in the Cederberg? | Tick bite fever, from a tick on her ankle | tick, cederberg
?? rare-word | Where did Lev find the Jawa 350? | In a barn in the Eastern Townships, where it had sat for thirty years | jawa
?? rare-word | Who is Biko? | Themba's cat | biko
?? multi-hop | How did Amara's tip help Lev see the aurora, and where did he see it? | She told him to check the Kp index (4 or more), avoid city lights and look north; he saw it near Vík when Kp was 5 | kp, vik
?? multi-hop | Why did Misha change his degree, and what is he helping his father with this summer? | He switched to physics after reading Amara's article on white dwarfs; he is helping finish the Jawa | misha_physics, your_fault, misha_help
?? multi-hop | Why does the Jawa mean so much to Lev, and who rode on it with him once it was finished? | His father rode him to school on the same model in Leningrad; his son Misha rode on the back | father_jawa, ride
?? multi-hop | How old is Gogol, and what did he eat when he woke from hibernation? | 41; a whole strawberry | tortoise, gogol_wake
?? multi-hop | How many cows were agreed in the lobola, and what animal did Themba's family bring to the traditional ceremony? | Eleven (paid in cash); a sheep | cows, ochre
?? multi-hop | What set Amara's thesis work back in November, and when did she finally submit it? | A power cut killed a simulation and she lost two days of work; she submitted on 22 March 2024 | lost_sim, submitted
?? temporal | When did Lev go to hospital with a kidney stone? | Tuesday 14 November 2023, at 3 am | kidney
?? temporal | When was Amara bitten by the tick? | The weekend of 9-10 December 2023 | cederberg
?? temporal | When did Amara submit her thesis? | Friday 22 March 2024 | submitted
?? temporal | When was Amara's traditional wedding in Mthatha? | Saturday 13 April 2024 | mthatha
?? temporal | When did Lev and Misha first ride the finished Jawa? | Saturday 18 May 2024 | ride
?? adversarial-distractor | What kind of star is Amara's thesis about? | A pulsating white dwarf | dwarf
?? adversarial-distractor | Has Amara ever seen an aurora herself? | Yes, the southern lights once, very faintly, from a research ship | southern
?? adversarial-distractor | Where was Amara's white wedding held? | At a vineyard in Stellenbosch | stellenbosch
""")


# ---------------------------------------------------------------------------
# Parsing and generation
# ---------------------------------------------------------------------------
TURN_RE = re.compile(r"^([A-Z]): (.+)$")
LABEL_RE = re.compile(r"\s*\{([a-z0-9_]+)\}\s*$")
PHOTO_RE = re.compile(r"\s*\[photo: ([^\]]+)\]\s*$")


class FormatError(Exception):
    pass


def parse_date(text):
    m = DATE_RE.match(text)
    if not m:
        raise FormatError("bad session date %r" % text)
    hour, minute, ampm, day, month, year = m.groups()
    hour = int(hour) % 12 + (12 if ampm == "pm" else 0)
    return datetime.datetime(int(year), MONTHS.index(month) + 1, int(day), hour, int(minute))


def parse_block(block):
    conv = None
    initials = {}
    labels = {}
    raw_questions = []
    session = 0
    turn = 0
    for lineno, line in enumerate(block.strip("\n").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        where = "line %d" % lineno
        if line.startswith("=== "):
            parts = [p.strip() for p in line[4:].split("|")]
            if conv is not None or len(parts) != 3:
                raise FormatError("%s: bad conversation header" % where)
            conv = {"id": parts[0], "speakers": parts[1:], "nodes": [],
                    "relationships": [], "questions": []}
            for name in conv["speakers"]:
                if name[0] in initials:
                    raise FormatError("%s: speakers share an initial" % where)
                initials[name[0]] = name
            continue
        if conv is None:
            raise FormatError("%s: text before the conversation header" % where)
        where = "%s %s" % (conv["id"], where)
        if line.startswith("## "):
            session += 1
            turn = 0
            date = line[3:].strip()
            parse_date(date)
            current_date = date
            continue
        if line.startswith("?? "):
            parts = [p.strip() for p in line[3:].split("|")]
            if len(parts) != 4:
                raise FormatError("%s: question needs 4 fields" % where)
            raw_questions.append((where, parts))
            continue
        m = TURN_RE.match(line)
        if not m:
            raise FormatError("%s: cannot parse %r" % (where, line))
        if session == 0:
            raise FormatError("%s: turn before the first session" % where)
        initial, text = m.groups()
        if initial not in initials:
            raise FormatError("%s: unknown speaker initial %r" % (where, initial))
        label = None
        lm = LABEL_RE.search(text)
        if lm:
            label = lm.group(1)
            text = text[:lm.start()]
        photo = None
        pm = PHOTO_RE.search(text)
        if pm:
            photo = pm.group(1).strip()
            text = text[:pm.start()]
        text = text.strip()
        if "{" in text or "[photo" in text:
            raise FormatError("%s: stray markup in %r" % (where, text))
        turn += 1
        key = "d%d-%d" % (session, turn)
        summary = "%s: %s" % (initials[initial], text)
        if photo:
            summary += " [shares a photo of %s]" % photo
        conv["nodes"].append({"key": key, "context_type": "conversation_fact",
                              "summary": summary,
                              "metadata": {"session_date": current_date}})
        if turn > 1:
            conv["relationships"].append({"from": "d%d-%d" % (session, turn - 1),
                                          "to": key, "type": "led_to", "strength": 0.5})
        if label:
            if label in labels:
                raise FormatError("%s: duplicate label %r" % (where, label))
            labels[label] = key
    for where, (category, question, answer, refs) in raw_questions:
        if category not in CATEGORIES:
            raise FormatError("%s: unknown category %r" % (where, category))
        if not answer:
            raise FormatError("%s: question without an answer" % where)
        evidence = []
        for ref in [r.strip() for r in refs.split(",") if r.strip()]:
            if ref not in labels:
                raise FormatError("%s: unknown label %r" % (where, ref))
            evidence.append(labels[ref])
        conv["questions"].append({"question": question, "evidence": evidence,
                                  "category": category})
    return conv


def build():
    return {"description": DESCRIPTION,
            "conversations": [parse_block(b) for b in CONVERSATIONS]}


def dump(data):
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------
STOPWORDS = set("""
a about above after again against all also am an and any are as at be because been
before being between both but by can could did do does doing down during each few for
from further had has have having he her here hers herself him himself his how i if in
into is it its itself just me more most my myself no nor not now of off on once only or
other our ours out over own same she should so some such than that the their theirs them
then there these they this those through to too under until up very was we were what
when where which while who whom why will with would you your yours yourself
didn't doesn't don't i'm it's that's he's she's what's i've i'll i'd we're you're
get got say said says tell told think thought kind sort one two first last new
much many way thing things something anything really actually still even well ok
""".split())


def tokens(text, drop):
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text.lower())
    out = set()
    for w in words:
        w = re.sub(r"'s$", "", w)
        if len(w) < 3 or w in STOPWORDS or w in drop:
            continue
        out.add(w)
    return out


def stem(word):
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[:-len(suffix)]
    return word


def check(path):
    errors = []
    warnings = []

    def err(msg):
        errors.append(msg)

    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        print("cannot read %s: %s" % (path, e))
        return 1
    if not isinstance(data, dict) or set(data) != {"description", "conversations"}:
        err("top level must be an object with exactly description and conversations")
        data = data if isinstance(data, dict) else {}
    if not isinstance(data.get("description"), str) or not data.get("description"):
        err("description must be a non-empty string")
    convs = data.get("conversations")
    if not isinstance(convs, list):
        err("conversations must be a list")
        convs = []
    n_turns = 0
    n_photos = 0
    cats = Counter()
    conv_ids = set()
    for ci, conv in enumerate(convs):
        cid = conv.get("id", "#%d" % ci) if isinstance(conv, dict) else "#%d" % ci
        if not isinstance(conv, dict) or set(conv) != {"id", "speakers", "nodes",
                                                        "relationships", "questions"}:
            err("%s: conversation must have exactly id, speakers, nodes, relationships, questions" % cid)
            continue
        if cid in conv_ids:
            err("%s: duplicate conversation id" % cid)
        conv_ids.add(cid)
        speakers = conv["speakers"]
        if (not isinstance(speakers, list) or len(speakers) != 2
                or not all(isinstance(s, str) and s for s in speakers)
                or speakers[0] == speakers[1]):
            err("%s: speakers must be two distinct names" % cid)
            speakers = ["\0", "\0"]
        keys = {}
        sessions = {}
        for node in conv["nodes"]:
            if not isinstance(node, dict) or set(node) != {"key", "context_type", "summary", "metadata"}:
                err("%s: node must have exactly key, context_type, summary, metadata: %r" % (cid, node))
                continue
            key = node["key"]
            m = KEY_RE.match(key) if isinstance(key, str) else None
            if not m:
                err("%s: bad key %r" % (cid, key))
                continue
            if key in keys:
                err("%s: duplicate key %s" % (cid, key))
            keys[key] = node
            if node["context_type"] != "conversation_fact":
                err("%s %s: context_type must be conversation_fact" % (cid, key))
            summary = node["summary"]
            if not isinstance(summary, str) or not any(
                    summary.startswith(s + ": ") and len(summary) > len(s) + 2 for s in speakers):
                err("%s %s: summary must start with a speaker name and ': '" % (cid, key))
            elif "[shares a photo of " in summary:
                n_photos += 1
                if not re.search(r" \[shares a photo of [^\]]+\]$", summary):
                    err("%s %s: photo caption must end the summary" % (cid, key))
            meta = node["metadata"]
            if not isinstance(meta, dict) or set(meta) != {"session_date"}:
                err("%s %s: metadata must hold exactly session_date" % (cid, key))
                continue
            try:
                when = parse_date(meta["session_date"])
            except (FormatError, TypeError):
                err("%s %s: bad session_date %r" % (cid, key, meta.get("session_date")))
                continue
            s, t = int(m.group(1)), int(m.group(2))
            sessions.setdefault(s, {})[t] = when
        n_turns += len(keys)
        # sessions 1..N, turns 1..T, one date per session, dates increasing
        if sorted(sessions) != list(range(1, len(sessions) + 1)):
            err("%s: sessions are not numbered 1..N" % cid)
        if not 6 <= len(sessions) <= 10:
            warnings.append("%s: %d sessions (expected 6-10)" % (cid, len(sessions)))
        previous = None
        for s in sorted(sessions):
            turns = sessions[s]
            if sorted(turns) != list(range(1, len(turns) + 1)):
                err("%s: turns of session %d are not numbered 1..T" % (cid, s))
            if not 8 <= len(turns) <= 18:
                warnings.append("%s: session %d has %d turns (expected 8-18)" % (cid, s, len(turns)))
            dates = set(turns.values())
            if len(dates) != 1:
                err("%s: session %d has more than one session_date" % (cid, s))
                continue
            when = dates.pop()
            if previous is not None and when <= previous:
                err("%s: session %d date does not increase" % (cid, s))
            previous = when
        # relationships: led_to 0.5 between consecutive turns of one session, exactly
        expected = set()
        for s, turns in sessions.items():
            for t in turns:
                if t + 1 in turns:
                    expected.add(("d%d-%d" % (s, t), "d%d-%d" % (s, t + 1)))
        seen = set()
        for rel in conv["relationships"]:
            if not isinstance(rel, dict) or set(rel) != {"from", "to", "type", "strength"}:
                err("%s: relationship must have exactly from, to, type, strength" % cid)
                continue
            pair = (rel["from"], rel["to"])
            for end in pair:
                if end not in keys:
                    err("%s: relationship endpoint %r does not exist" % (cid, end))
            if rel["type"] != "led_to" or rel["strength"] != 0.5:
                err("%s: relationship %r must be led_to with strength 0.5" % (cid, pair))
            if pair not in expected:
                err("%s: relationship %r is not between consecutive turns of a session" % (cid, pair))
            if pair in seen:
                err("%s: duplicate relationship %r" % (cid, pair))
            seen.add(pair)
        if expected - seen:
            err("%s: %d consecutive-turn relationships missing" % (cid, len(expected - seen)))
        # questions
        drop = {w.lower() for s in speakers for w in s.split()}
        doc_freq = Counter()
        turn_tokens = {}
        for key, node in keys.items():
            turn_tokens[key] = tokens(node["summary"], drop)
            doc_freq.update(turn_tokens[key])
        texts = set()
        for q in conv["questions"]:
            if not isinstance(q, dict) or set(q) != {"question", "evidence", "category"}:
                err("%s: question must have exactly question, evidence, category" % cid)
                continue
            text, evidence, category = q["question"], q["evidence"], q["category"]
            if not isinstance(text, str) or not text.strip():
                err("%s: empty question" % cid)
                continue
            if text in texts:
                err("%s: duplicate question %r" % (cid, text))
            texts.add(text)
            if category not in CATEGORIES:
                err("%s: unknown category %r" % (cid, category))
            cats[category] += 1
            if (not isinstance(evidence, list) or not 1 <= len(evidence) <= 3
                    or len(set(evidence)) != len(evidence)):
                err("%s: evidence must be 1-3 distinct keys: %r" % (cid, text))
                continue
            missing = [k for k in evidence if k not in keys]
            if missing:
                err("%s: evidence %r does not exist (%r)" % (cid, missing, text))
                continue
            if re.search(r"\bd\d+-\d+\b", text):
                err("%s: question quotes a key: %r" % (cid, text))
            # Lexical lint (warnings only).
            qtok = tokens(text, drop)
            etok = set().union(*(turn_tokens[k] for k in evidence))
            if category == "paraphrase":
                shared = {w for w in qtok
                          if stem(w) in {stem(e) for e in etok}}
                if shared:
                    warnings.append("%s paraphrase shares %s: %r" % (cid, sorted(shared), text))
            if category == "rare-word":
                estems = {stem(e) for e in etok}
                rare = {w for w in qtok if stem(w) in estems
                        and sum(doc_freq[e] for e in etok if stem(e) == stem(w)) <= 3}
                if not rare:
                    warnings.append("%s rare-word shares no rare term: %r" % (cid, text))
            if category == "multi-hop" and len(evidence) < 2:
                warnings.append("%s multi-hop with one evidence turn: %r" % (cid, text))
    if len(convs) < MIN_CONVERSATIONS:
        err("only %d conversations (need %d)" % (len(convs), MIN_CONVERSATIONS))
    if n_turns < MIN_TURNS:
        err("only %d turns (need %d)" % (n_turns, MIN_TURNS))
    n_questions = sum(cats.values())
    if n_questions < MIN_QUESTIONS:
        err("only %d questions (need %d)" % (n_questions, MIN_QUESTIONS))
    # Is the file what this script would write now?
    try:
        if dump(build()) != open(path, encoding="utf-8").read():
            warnings.append("%s differs from what make_dev.py generates; rerun it" % path)
    except FormatError as e:
        warnings.append("authored content does not parse: %s" % e)

    for w in warnings:
        print("warning: " + w)
    for e in errors:
        print("error: " + e)
    print("conversations: %d" % len(convs))
    print("turns: %d (photo turns: %d)" % (n_turns, n_photos))
    print("questions: %d" % n_questions)
    for c in CATEGORIES:
        share = 100.0 * cats[c] / n_questions if n_questions else 0.0
        print("  %-24s %4d  (%4.1f%%)" % (c, cats[c], share))
    print("check: %s" % ("FAILED (%d errors)" % len(errors) if errors else "ok"))
    return 1 if errors else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="validate the file instead of writing it")
    ap.add_argument("--out", default=OUT, help="path of dev.json (default: next to this script)")
    args = ap.parse_args()
    if args.check:
        return check(args.out)
    try:
        data = build()
    except FormatError as e:
        print("error: %s" % e)
        return 1
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(dump(data))
    n = sum(len(c["nodes"]) for c in data["conversations"])
    q = sum(len(c["questions"]) for c in data["conversations"])
    print("wrote %s: %d conversations, %d turns, %d questions"
          % (args.out, len(data["conversations"]), n, q))
    return 0


if __name__ == "__main__":
    sys.exit(main())
