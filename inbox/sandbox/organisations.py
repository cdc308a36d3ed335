"""Invented companies the industry personas work for, by language.

Every name is made up for the demo; their mail domains end in the reserved
``.example`` so no message can ever leave for a real company.
"""

from __future__ import annotations

from collections.abc import Mapping

from inbox.sandbox.personas import Persona

ORGANISATIONS: Mapping[Persona, Mapping[str, tuple[str, ...]]] = {
    Persona.PROMOTER: {
        "en": (
            "Northbound Live",
            "Low Tide Promotions",
            "Blue Hour Presents",
            "Harbour Sounds Festival",
            "Copper Lane Concerts",
            "Midnight Ferry Booking",
            "Greenhouse Live",
            "Wildfield Festival",
        ),
        "fr": (
            "Rive Droite Productions",
            "Festival des Nuits Claires",
            "Azimut Spectacles",
            "Onde Courte Prod",
            "Festival Brise de Mer",
            "Collectif Minuit",
            "Phare Ouest Concerts",
        ),
        "es": (
            "Marea Alta Producciones",
            "Festival Brisa Sur",
            "Noches de Sala",
            "Faro Norte Live",
            "Contraluz Conciertos",
            "Festival Luz de Agosto",
        ),
        "de": (
            "Nachtfahrt Konzerte",
            "Sommerlicht Open Air",
            "Kranich Booking",
            "Lautlos Live",
            "Hafenlicht Events",
            "Festival Zwischenland",
        ),
    },
    Persona.JOURNALIST: {
        "en": (
            "The Static Review",
            "Nightbus Radio",
            "Soundcheck Weekly",
            "Lowlight Magazine",
            "the Paper Ears podcast",
            "Cassette Club Zine",
        ),
        "fr": (
            "Écoute Libre",
            "Radio Cendre",
            "Le Tympan",
            "Contre-Jour Magazine",
            "le podcast Face B",
        ),
        "es": (
            "Revista Oído Fino",
            "Onda Nocturna",
            "Ruido Blanco",
            "Radio Faro",
            "Sonido Lento Magazine",
        ),
        "de": (
            "Klangwelt Magazin",
            "Radio Nachtschicht",
            "Lautstark Blog",
            "Plattenteller Podcast",
            "Zwischentöne",
        ),
    },
    Persona.COLLABORATOR: {
        "en": (
            "Moth Parade",
            "Juno Vale",
            "DJ Kestrel",
            "Monsoon Twins",
            "Tape Orchard",
            "Harlow Rain",
        ),
        "fr": ("Solenne", "Aube Claire", "Sable Noir", "Les Cerfs-Volants", "DJ Mistral"),
        "es": ("Los Farolitos", "Marisol Vega", "Niebla Roja", "Cardumen", "DJ Alcaraván"),
        "de": ("Nachtfalter", "Kalle Brink", "Wolkenbruch", "Ella Sturm", "Kleinstadtlichter"),
    },
    Persona.LABEL: {
        "en": (
            "Lighthouse Records",
            "Quiet Engine Records",
            "Paper Moon Recordings",
            "Velvet Signal Music",
            "Tidewater Publishing",
        ),
        "fr": ("Disques Lunaires", "Label Nuit Blanche", "Éditions Sillon"),
        "es": ("Discos Satélite", "Sello Marejada", "Canciones del Sur Edición"),
        "de": ("Kranich Tonträger", "Schallwerk Records", "Nordlicht Musikverlag"),
    },
}


def domain_for(organisation: str) -> str:
    """A reserved-TLD mail domain derived from an organisation's name."""
    ascii_name = organisation.lower().encode("ascii", "ignore").decode()
    slug = "".join(c for c in ascii_name if c.isalnum())
    return f"{slug or 'org'}.example"
