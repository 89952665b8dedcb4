"""Spanish names and sentence patterns (own wording, CC0) for the DaMuEL `es` part and Mewsli-9 docs."""
from __future__ import annotations

# KB title -> Spanish Wikipedia-style label, where it differs from the English display name.
ES_LABELS = {
    "France": "Francia", "Paris": "París", "Berlin": "Berlín", "Dublin": "Dublín", "Sydney": "Sídney",
    "Brasília": "Brasilia", "Jakarta": "Yakarta", "Hussein of Jordan": "Husein I de Jordania", "Germany": "Alemania", "United Kingdom": "Reino Unido", "United States": "Estados Unidos",
    "Spain": "España", "Italy": "Italia", "Netherlands": "Países Bajos", "Belgium": "Bélgica", "Switzerland": "Suiza",
    "Poland": "Polonia", "Sweden": "Suecia", "Norway": "Noruega", "Denmark": "Dinamarca", "Finland": "Finlandia",
    "Ireland": "Irlanda", "Greece": "Grecia", "Turkey": "Turquía", "Russia": "Rusia", "Ukraine": "Ucrania",
    "Japan": "Japón", "South Korea": "Corea del Sur", "Jordan": "Jordania", "Egypt": "Egipto", "Lebanon": "Líbano",
    "Iran": "Irán", "Iraq": "Irak", "Saudi Arabia": "Arabia Saudita", "South Africa": "Sudáfrica", "Brazil": "Brasil",
    "Mexico": "México", "Canada": "Canadá", "Georgia (country)": "Georgia", "Taiwan": "Taiwán", "Kenya": "Kenia",
    "Texas": "Texas", "New York (state)": "Nueva York", "Washington (state)": "Estado de Washington",
    "Georgia (U.S. state)": "Georgia (Estados Unidos)", "England": "Inglaterra", "Scotland": "Escocia",
    "Bavaria": "Baviera", "Catalonia": "Cataluña", "London": "Londres", "Munich": "Múnich", "Hamburg": "Hamburgo",
    "Frankfurt": "Fráncfort del Meno", "Lisbon": "Lisboa", "Rome": "Roma", "Milan": "Milán", "Turin": "Turín",
    "Amsterdam": "Ámsterdam", "Brussels": "Bruselas", "Geneva": "Ginebra", "Zurich": "Zúrich", "Vienna": "Viena",
    "Warsaw": "Varsovia", "Stockholm": "Estocolmo", "Copenhagen": "Copenhague", "Athens": "Atenas",
    "Istanbul": "Estambul", "Moscow": "Moscú", "Saint Petersburg": "San Petersburgo", "Kyiv": "Kiev", "Beijing": "Pekín",
    "Shanghai": "Shanghái", "Tokyo": "Tokio", "Seoul": "Seúl", "New Delhi": "Nueva Delhi", "Mumbai": "Bombay",
    "Jerusalem": "Jerusalén", "Amman": "Amán", "Cairo": "El Cairo", "Alexandria": "Alejandría", "Beirut": "Beirut",
    "Tehran": "Teherán", "Baghdad": "Bagdad", "Riyadh": "Riad", "Johannesburg": "Johannesburgo",
    "Cape Town": "Ciudad del Cabo", "Nairobi": "Nairobi", "São Paulo": "São Paulo", "Mexico City": "Ciudad de México",
    "Montreal": "Montreal", "Havana": "La Habana", "Tbilisi": "Tiflis", "New York City": "Nueva York",
    "Los Angeles": "Los Ángeles", "Washington, D.C.": "Washington D. C.",
    "Edinburgh": "Edimburgo", "Seine": "Sena", "Thames": "Támesis", "Rhine": "Rin", "Danube": "Danubio", "Nile": "Nilo",
    "Amazon River": "Río Amazonas", "Mississippi River": "Río Misisipi", "Java (island)": "Java",
    "Mount Everest": "Monte Everest", "World War I": "Primera Guerra Mundial", "World War II": "Segunda Guerra Mundial",
    "French Revolution": "Revolución francesa", "American Civil War": "Guerra de Secesión",
    "FIFA World Cup": "Copa Mundial de Fútbol", "Olympic Games": "Juegos Olímpicos", "Nobel Prize": "Premio Nobel",
    "English language": "Idioma inglés", "Spanish language": "Idioma español", "Arabic": "Idioma árabe",
    "Java (programming language)": "Java (lenguaje de programación)",
    "Python (programming language)": "Python", "Apple": "Manzana", "Mercury (planet)": "Mercurio (planeta)",
    "Mercury (element)": "Mercurio (elemento)", "Jaguar": "Panthera onca", "United Nations": "Organización de las Naciones Unidas",
    "European Union": "Unión Europea", "NATO": "Organización del Tratado del Atlántico Norte",
    "World Health Organization": "Organización Mundial de la Salud", "Harvard University": "Universidad de Harvard",
    "Stanford University": "Universidad de Stanford", "University of Oxford": "Universidad de Oxford",
    "University of Cambridge": "Universidad de Cambridge", "Queen Victoria": "Victoria del Reino Unido",
    "Elizabeth II": "Isabel II del Reino Unido", "Napoleon": "Napoleón Bonaparte", "Julius Caesar": "Julio César",
    "Joseph Stalin": "Iósif Stalin", "Vladimir Lenin": "Vladímir Lenin", "Vladimir Putin": "Vladímir Putin",
    "Leo Tolstoy": "León Tolstói", "Isaac Newton": "Isaac Newton", "Martin Luther King Jr.": "Martin Luther King",
    "Paris Saint-Germain F.C.": "Paris Saint-Germain", "FC Bayern Munich": "Bayern de Múnich",
    "Manchester United F.C.": "Manchester United", "Real Madrid CF": "Real Madrid", "Juventus FC": "Juventus de Turín",
    "FC Barcelona": "Fútbol Club Barcelona", "Liverpool F.C.": "Liverpool Fútbol Club",
    "Manchester City F.C.": "Manchester City", "Tesla, Inc.": "Tesla, Inc.", "Amazon (company)": "Amazon",
    "Apple Inc.": "Apple", "Wimbledon Championships": "Campeonato de Wimbledon",
}

# Kind -> Spanish noun phrase (with indefinite article) used in short descriptions and page openings.
ES_KIND = {
    "country": "un país", "state": "un estado", "region": "una región", "city": "una ciudad", "district": "un barrio",
    "river": "un río", "island": "una isla", "mountain": "una montaña", "person": "una persona",
    "company": "una empresa", "club": "un club deportivo", "org": "una organización internacional",
    "university": "una universidad", "media": "un medio de comunicación", "band": "un grupo musical",
    "team": "un equipo", "event": "un acontecimiento", "language": "una lengua", "product": "un producto",
    "thing": "un concepto", "work": "una obra", "award": "un premio",
}

# Fact -> Spanish sentence pattern; {S} is the page entity, {O} the fact's object.
ES_SENTENCES = {
    "country": "{S} se encuentra en {O}.", "in": "{S} forma parte de {O}.", "capital": "Su capital es {O}.",
    "born": "{S} nació en {O}.", "died": "{S} murió en {O}.", "lives": "{S} ha vivido en {O}.",
    "citizen": "{S} tiene la nacionalidad de {O}.", "employer": "{S} ha trabajado para {O}.",
    "team": "{S} ha jugado en {O}.", "member": "{S} fue miembro de {O}.", "founder": "{S} fue fundada por {O}.",
    "hq": "{S} tiene su sede en {O}.", "formed": "{S} se fundó en {O}.", "killed": "{S} mató a {O}.",
    "child": "{O} es hijo o hija de {S}.",
}

# Mewsli-style news stories: (docid, title, date, body with [[Title|surface]] links), own text.
ES_NEWS = [
    ("es-90001", "Messi vuelve a Rosario para un partido benéfico", "3 de marzo de 2024",
     "[[Lionel Messi|Messi]], que se formó en el [[FC Barcelona|Barcelona]], visitó [[Argentina]] esta semana. "
     "El delantero jugó un partido benéfico y después viajó a [[Buenos Aires]] para reunirse con antiguos compañeros."),
    ("es-90002", "La ONU celebra una cumbre sobre el clima en Ginebra", "14 de abril de 2024",
     "Representantes de la [[United Nations|ONU]] se reunieron en [[Geneva|Ginebra]] con expertos de la "
     "[[World Health Organization|Organización Mundial de la Salud]]. Delegados de [[France|Francia]] y [[Germany|Alemania]] "
     "pidieron más fondos para las ciudades costeras."),
    ("es-90003", "Apple presenta un nuevo iPhone en California", "9 de septiembre de 2024",
     "[[Apple Inc.|Apple]] mostró su nuevo [[iPhone]] en [[Cupertino, California|Cupertino]]. [[Tim Cook]] dijo que "
     "las ventas en [[China]] y [[Japan|Japón]] siguen creciendo."),
    ("es-90004", "El Danubio alcanza niveles récord en Viena", "2 de junio de 2024",
     "Las lluvias elevaron el caudal del [[Danube|Danubio]] a su paso por [[Vienna|Viena]]. Las autoridades de "
     "[[Austria]] cerraron varios puentes y pidieron calma a los vecinos."),
    ("es-90005", "Jordania y Egipto firman un acuerdo comercial", "21 de octubre de 2024",
     "Los gobiernos de [[Jordan|Jordania]] y [[Egypt|Egipto]] firmaron en [[Cairo|El Cairo]] un acuerdo para "
     "transportar mercancías por el mar Rojo. El rey [[Abdullah II of Jordan|Abdalá II]] viajará después a [[Amman|Amán]]."),
]
