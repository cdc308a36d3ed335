"""Cities the demo artist tours through and the rooms they play there.

Fans ask about dates "in Lyon", promoters offer "Le Transbordeur", a fan who
saw the show "at Paradiso" says so: the venue always belongs to the city it is
named with. Regions group tour cities so a fan from Graz asks about Vienna, not
Glasgow.
"""

from __future__ import annotations

from collections.abc import Mapping

VENUES: Mapping[str, tuple[str, ...]] = {
    # France, Belgium, Switzerland, Québec
    "Paris": ("La Cigale", "Le Trabendo", "La Maroquinerie", "L'Olympia", "Le Point Éphémère"),
    "Lyon": ("Le Transbordeur", "Le Marché Gare", "L'Épicerie Moderne"),
    "Marseille": ("L'Espace Julien", "Le Makeda", "Le Cabaret Aléatoire"),
    "Lille": ("L'Aéronef", "Le Grand Mix"),
    "Nantes": ("Stereolux", "Le Ferrailleur"),
    "Bordeaux": ("Le Rocher de Palmer", "La Rock School Barbey"),
    "Toulouse": ("Le Bikini", "Le Metronum"),
    "Rennes": ("L'Ubu", "Le Liberté"),
    "Strasbourg": ("La Laiterie",),
    "Montpellier": ("Le Rockstore",),
    "Bruxelles": ("l'Ancienne Belgique", "le Botanique"),
    "Genève": ("L'Usine", "Le Chat Noir"),
    "Lausanne": ("Les Docks",),
    "Montréal": ("Le Ministère", "le Club Soda", "le Théâtre Fairmount"),
    # Spain and Latin America
    "Madrid": ("Sala But", "La Riviera", "Sala El Sol"),
    "Barcelona": ("Sala Apolo", "Razzmatazz", "Sala Upload"),
    "Valencia": ("Loco Club", "Sala Moon"),
    "Sevilla": ("Sala X", "Fun Club"),
    "Bilbao": ("Kafe Antzokia", "Sala BBK"),
    "Ciudad de México": ("Foro Indie Rocks!", "El Plaza Condesa", "Foro Puebla"),
    "Guadalajara": ("C3 Stage", "Foro Independencia"),
    "Buenos Aires": ("Niceto Club", "Teatro Vorterix"),
    "Bogotá": ("Teatro Astor Plaza", "Ace of Spades"),
    "Santiago": ("Club Chocolate", "Teatro Coliseo"),
    # Germany, Austria, Switzerland
    "Berlin": ("Lido", "Astra Kulturhaus", "Festsaal Kreuzberg", "Badehaus"),
    "Hamburg": ("Knust", "Uebel & Gefährlich", "Molotow"),
    "München": ("Strom", "Backstage", "Muffathalle"),
    "Köln": ("Gebäude 9", "Live Music Hall", "Bumann & Sohn"),
    "Leipzig": ("Conne Island", "UT Connewitz"),
    "Frankfurt": ("Zoom", "Nachtleben"),
    "Wien": ("Flex", "WUK", "Arena Wien"),
    "Zürich": ("Mascotte", "Dynamo", "Bogen F"),
    # English-speaking world and the rest of Europe
    "London": ("Scala", "Omeara", "The Garage", "Electric Ballroom", "EartH Hackney"),
    "Manchester": ("Band on the Wall", "Gorilla", "YES"),
    "Glasgow": ("King Tut's", "SWG3", "St Luke's"),
    "Bristol": ("The Fleece", "Thekla", "Strange Brew"),
    "Leeds": ("Brudenell Social Club", "Belgrave Music Hall"),
    "Dublin": ("Whelan's", "The Academy", "Button Factory"),
    "Amsterdam": ("Paradiso Noord", "Melkweg", "Bitterzoet"),
    "Copenhagen": ("Loppen", "Pumpehuset"),
    "Stockholm": ("Debaser", "Fasching"),
    "Lisbon": ("Musicbox", "Lux Frágil"),
    "Milan": ("Santeria Toscana 31", "Magnolia", "Arci Bellezza"),
    "New York": ("Bowery Ballroom", "Music Hall of Williamsburg", "Baby's All Right"),
    "Chicago": ("Lincoln Hall", "Schubas", "Empty Bottle"),
    "Los Angeles": ("The Echo", "the Troubadour", "Lodge Room"),
    "Seattle": ("Neumos", "The Crocodile"),
    "Austin": ("Mohawk", "Empire Control Room"),
    "Toronto": ("the Horseshoe Tavern", "Lee's Palace", "the Danforth Music Hall"),
    "Melbourne": ("Corner Hotel", "Northcote Social Club"),
    "Sydney": ("Oxford Art Factory", "The Metro Theatre"),
    "Tokyo": ("WWW", "Shibuya Club Quattro"),
    "Seoul": ("Rolling Hall", "West Bridge"),
}

REGIONS: Mapping[str, tuple[str, ...]] = {
    "france": (
        "Paris",
        "Lyon",
        "Marseille",
        "Lille",
        "Nantes",
        "Bordeaux",
        "Toulouse",
        "Rennes",
        "Strasbourg",
        "Montpellier",
    ),
    "francophone": ("Bruxelles", "Genève", "Lausanne", "Montréal", "Paris", "Lille"),
    "spain": ("Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao"),
    "latam": ("Ciudad de México", "Guadalajara", "Buenos Aires", "Bogotá", "Santiago"),
    "germany": ("Berlin", "Hamburg", "München", "Köln", "Leipzig", "Frankfurt"),
    "alps": ("Wien", "Zürich", "München"),
    "uk": ("London", "Manchester", "Glasgow", "Bristol", "Leeds", "Dublin"),
    "usa": ("New York", "Chicago", "Los Angeles", "Seattle", "Austin", "Toronto"),
    "europe": ("Amsterdam", "Copenhagen", "Stockholm", "Lisbon", "Milan", "Berlin", "Bruxelles"),
    "asia_pacific": ("Tokyo", "Seoul", "Melbourne", "Sydney"),
}

TOUR_CITIES: tuple[str, ...] = tuple(VENUES)
