"""Short scripted conversations that `devtools.synth` speaks: the speaker tests and the speaker bench share them."""

FOUR_VOICES = """
Sanne: Goedemorgen allemaal. Fijn dat jullie er zijn.
Pieter: Goedemorgen. Ik heb zin in vandaag.
Fatima: Ik ook. Ik heb een vraag over mijn werk meegenomen.
Joris: Mijn vraag gaat over een lastige ouder.
Sanne: Goed. Joris, begin jij maar met je verhaal.
Joris: De vader van een leerling belt mij elke avond. Ik slaap er slecht van.
Fatima: Weet je leidinggevende dat hij zo vaak belt?
Joris: Nee, dat heb ik nog niet verteld.
Pieter: Mijn advies is om vaste tijden af te spreken.
Fatima: En nodig de vader uit voor een gesprek op school.
Sanne: Wat neem je mee uit dit gesprek, Joris?
Joris: Dat ik grenzen mag stellen. Dank jullie wel.
"""

# Three voices with a long silence in the middle: the silence must not become a speaker.
THREE_VOICES = """
Anna: Welkom bij de intervisie van vandaag. Wie wil er beginnen?
Bram: Ik wil graag iets vertellen over mijn team.
Anna: Ga je gang, Bram.
Bram: Twee collega's praten niet meer met elkaar. Het werk loopt daardoor vast.
Carla: Hoe lang speelt dit al?
[pause 15]
Bram: Sinds de zomer. Ik weet niet goed wat ik moet doen.
Anna: Wat heb je zelf al geprobeerd?
Bram: Ik heb met allebei apart gesproken.
Carla: Misschien kun je ze samen uitnodigen voor een gesprek.
Anna: Dat lijkt mij ook een goed idee. Wat neem je mee?
Bram: Ik ga ze volgende week samen uitnodigen.
"""

ONE_VOICE = """
Eva: Ik neem dit bericht op voor de groep. Vandaag kon ik er helaas niet bij zijn.
Eva: Mijn casus gaat over de werkdruk in mijn team.
[pause 20]
Eva: Sorry, ik werd even gestoord. Ik ga verder met mijn verhaal.
Eva: Ik hoop dat jullie volgende keer met mij willen meedenken. Tot dan.
"""
