"""Compact word lists for the demo organization, Prairie Forward (Iowa).

Everything synthetic is drawn from these lists with a seeded `random.Random`, so the same seed
always yields the same people. Places, area codes, zip prefixes and counties are real; the
districts and precincts are plausible, not authoritative.

Email domains end in ``.example`` (RFC 2606 / RFC 6761): the addresses look like real ones on the
screens but can never reach a real inbox, even if demo data ends up behind a real mail relay.
"""

from __future__ import annotations

from dataclasses import dataclass

ORG_NAME = "Prairie Forward"
ORG_SLUG = "prairie-forward"

# Name pools by heritage, weighted roughly like Iowa's cities. A person's first and last name
# usually come from the same pool, so that names look like real people's names.
NAME_POOLS: list[tuple[str, int, tuple[str, ...], tuple[str, ...]]] = [
    (
        "european",
        66,
        (
            "Mary", "Linda", "Susan", "Karen", "Patricia", "Barbara", "Nancy", "Deborah",
            "Sandra", "Donna", "Carol", "Sharon", "Judy", "Janet", "Kathy", "Jennifer", "Amy",
            "Heather", "Jessica", "Sarah", "Emily", "Megan", "Rachel", "Lauren", "Hannah",
            "Abigail", "Olivia", "Emma", "Madison", "Grace", "Claire", "Anna", "Molly", "Julie",
            "Lisa", "Michelle", "Kristin", "Brenda", "Diane", "Elizabeth", "Margaret",
            "Katherine", "Theresa", "Ruth", "Robert", "James", "John", "Michael", "William",
            "David", "Richard", "Thomas", "Charles", "Daniel", "Matthew", "Mark", "Steven",
            "Paul", "Andrew", "Joshua", "Kevin", "Brian", "Eric", "Ryan", "Jacob", "Tyler",
            "Nathan", "Ethan", "Logan", "Caleb", "Austin", "Cody", "Dustin", "Travis", "Dale",
            "Gary", "Larry", "Dennis", "Roger", "Wayne", "Craig", "Doug", "Scott", "Greg",
            "Erik", "Lars", "Kurt", "Henry", "Jack", "Owen", "Noah", "Joseph", "Christopher",
            "Samuel", "Benjamin", "Rebecca", "Gretchen", "Ingrid", "Marlys", "Arlene",
        ),
        (
            "Miller", "Johnson", "Anderson", "Smith", "Peterson", "Nelson", "Olson", "Larson",
            "Hansen", "Christensen", "Schmidt", "Schultz", "Meyer", "Mueller", "Wagner",
            "Becker", "Hoffman", "Koch", "Weber", "Fischer", "Klein", "Schroeder", "Jensen",
            "Sorensen", "Lindquist", "Swanson", "Carlson", "Erickson", "Thompson", "Brown",
            "Davis", "Wilson", "Moore", "Taylor", "Clark", "Lewis", "Walker", "Hall", "Young",
            "King", "Wright", "Green", "Baker", "Adams", "Campbell", "Evans", "Collins",
            "Stewart", "Murphy", "O'Brien", "Sullivan", "Kelly", "McCarthy", "Walsh",
            "Kennedy", "Gallagher", "Doyle", "Van Wyk", "De Vries", "Vander Ploeg", "Van Zee",
            "Bakker", "Vermeer", "Novak", "Dvorak", "Svoboda", "Kral", "Horak", "Kowalski",
            "Nowak", "Bauer", "Zimmerman", "Hartmann", "Lange", "Vogel", "Kuhn", "Ostrander",
            "Halverson", "Thorson", "Gustafson", "Brandt", "Kruse", "Hummel",
        ),
    ),
    (
        "hispanic",
        13,
        (
            "Maria", "Jose", "Juan", "Luis", "Carlos", "Jorge", "Miguel", "Alejandro", "Ana",
            "Rosa", "Guadalupe", "Carmen", "Sofia", "Isabella", "Valeria", "Daniela",
            "Gabriela", "Adriana", "Alejandra", "Veronica", "Jesus", "Francisco", "Antonio",
            "Ricardo", "Fernando", "Diego", "Mateo", "Santiago", "Ximena", "Yesenia",
            "Marisol", "Esperanza", "Lucia", "Elena", "Javier", "Raul", "Hector", "Eduardo",
            "Andrea", "Paola",
        ),
        (
            "Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Perez",
            "Sanchez", "Ramirez", "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Reyes",
            "Morales", "Cruz", "Ortiz", "Gutierrez", "Chavez", "Ramos", "Ruiz", "Alvarez",
            "Mendoza", "Castillo", "Jimenez", "Vasquez", "Romero", "Herrera", "Medina",
            "Aguilar", "Vargas", "Guzman", "Salazar", "Delgado", "De La Cruz", "Contreras",
            "Estrada", "Zamora", "Navarro",
        ),
    ),
    (
        "black",
        9,
        (
            "DeShawn", "Jamal", "Malik", "Darnell", "Tyrone", "Andre", "Marcus", "Terrence",
            "Jerome", "Cedric", "Keisha", "Latoya", "Tamika", "Ebony", "Aaliyah", "Imani",
            "Jasmine", "Destiny", "Shanice", "Monique", "Darius", "Xavier", "Jalen",
            "Kendrick", "Nia", "Zora", "Kiara", "Tiana", "Denise", "Gloria", "Bernice",
            "Reginald", "Lamar", "Terrell", "Amani", "Nyabol", "Achol", "Chidi", "Kwame",
        ),
        (
            "Washington", "Jefferson", "Jackson", "Williams", "Johnson", "Brown", "Jones",
            "Robinson", "Harris", "Coleman", "Banks", "Booker", "Freeman", "Gaines",
            "Hairston", "Mitchell", "Simmons", "Holmes", "Tucker", "Bryant", "Dawson",
            "Pierce", "Ellis", "Curry", "Fields", "Grant", "Merriweather", "Okafor", "Mensah",
            "Osei", "Deng", "Bol", "Akech", "Garang", "Abdi", "Hassan", "Abdullahi",
        ),
    ),
    (
        "asian",
        7,
        (
            "Linh", "Minh", "Thanh", "Hoa", "Mai", "Tuan", "Duc", "Huong", "Anh", "Bao", "Wei",
            "Jing", "Mei", "Hui", "Xin", "Jun", "Priya", "Anjali", "Rahul", "Arjun", "Deepa",
            "Sanjay", "Kavya", "Hiroshi", "Yuki", "Kenji", "Soo-jin", "Min-jun", "Ji-woo",
            "Pa Nhia", "Kou", "Mai Lee", "Htoo", "Paw",
        ),
        (
            "Nguyen", "Tran", "Le", "Pham", "Huynh", "Hoang", "Vu", "Vo", "Dang", "Bui",
            "Chen", "Wang", "Li", "Zhang", "Liu", "Yang", "Huang", "Wu", "Patel", "Shah",
            "Singh", "Kumar", "Sharma", "Reddy", "Kim", "Lee", "Park", "Choi", "Tanaka",
            "Sato", "Vang", "Xiong", "Lor", "Thao", "Moua",
        ),
    ),
    (
        "bosnian_arab",
        5,
        (
            "Amir", "Emina", "Adnan", "Selma", "Edin", "Lejla", "Mirza", "Aida", "Jasmin",
            "Haris", "Omar", "Fatima", "Ahmed", "Layla", "Yusuf", "Samira", "Nadia", "Khalid",
        ),
        (
            "Hodzic", "Mehmedovic", "Begic", "Hadzic", "Kovacevic", "Alic", "Delic", "Suljic",
            "Omerovic", "Husic", "Haddad", "Khalil", "Saleh", "Nasser", "Mansour", "Abboud",
            "Yousef", "Farah",
        ),
    ),
]  # fmt: skip

# Preferred language by name pool: (language, share of that pool).
POOL_LANGUAGES: dict[str, tuple[tuple[str, float], ...]] = {
    "hispanic": (("Spanish", 0.45),),
    "asian": (("Vietnamese", 0.18), ("Mandarin", 0.08), ("Hmong", 0.08), ("Karen", 0.05)),
    "bosnian_arab": (("Bosnian", 0.4), ("Arabic", 0.2)),
    "black": (("Swahili", 0.05), ("Dinka", 0.05)),
}
LANGUAGE_CODES = {
    "English": "en", "Spanish": "es", "Vietnamese": "vi", "Mandarin": "zh", "Hmong": "hmn",
    "Karen": "kar", "Bosnian": "bs", "Arabic": "ar", "Swahili": "sw", "Dinka": "din",
}  # fmt: skip
LANGUAGE_CHOICES = list(LANGUAGE_CODES)

NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy"), "Robert": ("Bob", "Rob", "Bobby"),
    "Richard": ("Rick", "Dick"), "James": ("Jim", "Jimmy"), "John": ("Jack", "Johnny"),
    "Michael": ("Mike",), "Thomas": ("Tom", "Tommy"), "Charles": ("Charlie", "Chuck"),
    "Daniel": ("Dan", "Danny"), "Matthew": ("Matt",), "Steven": ("Steve",),
    "Andrew": ("Andy", "Drew"), "Joshua": ("Josh",), "Christopher": ("Chris",),
    "Joseph": ("Joe", "Joey"), "Samuel": ("Sam",), "Benjamin": ("Ben",), "Nathan": ("Nate",),
    "Gregory": ("Greg",), "Elizabeth": ("Liz", "Beth", "Betsy"),
    "Margaret": ("Peggy", "Maggie", "Meg"), "Katherine": ("Kate", "Kathy", "Katie"),
    "Jennifer": ("Jen", "Jenny"), "Patricia": ("Pat", "Patty", "Trish"),
    "Deborah": ("Deb", "Debbie"), "Susan": ("Sue", "Suzy"), "Barbara": ("Barb",),
    "Abigail": ("Abby",), "Jessica": ("Jess",), "Rebecca": ("Becky", "Becca"),
    "Sandra": ("Sandy",), "Theresa": ("Terri", "Tess"), "Alejandro": ("Alex",),
    "Francisco": ("Paco", "Frank"), "Jose": ("Pepe",), "Guadalupe": ("Lupe",),
    "Antonio": ("Tony",), "Eduardo": ("Eddie", "Lalo"), "Jesus": ("Chuy",),
    "Gabriela": ("Gaby",), "Ricardo": ("Rick",), "Terrence": ("Terry",),
    "Reginald": ("Reggie",), "Kendrick": ("Kenny",), "Jacob": ("Jake",),
    "Douglas": ("Doug",), "Kristin": ("Kris",), "Dennis": ("Denny",),
}  # fmt: skip


@dataclass(frozen=True)
class City:
    name: str
    chapter: str | None  # slug of the chapter whose turf this is, None for the rest of Iowa
    county: str
    area_code: str
    zips: tuple[str, ...]
    district: str  # congressional district
    house: tuple[int, ...]  # Iowa House districts (the Senate district is (house + 1) // 2)
    precincts: int
    weight: int
    lat: float
    lon: float
    streets: tuple[str, ...] = ()


CITIES: tuple[City, ...] = (
    City("Des Moines", "des-moines", "Polk", "515",
         ("50309", "50310", "50311", "50312", "50313", "50314", "50315", "50316", "50317",
          "50320", "50321"),
         "IA-3", (32, 33, 34, 35, 43, 44, 45, 46), 64, 160, 41.59, -93.62,
         ("Ingersoll Ave", "Grand Ave", "University Ave", "Euclid Ave", "Hubbell Ave",
          "SE 14th St", "Beaver Ave", "Douglas Ave", "Fleur Dr", "Army Post Rd",
          "Forest Ave", "Hickman Rd")),
    City("West Des Moines", "des-moines", "Polk", "515", ("50265", "50266"),
         "IA-3", (40, 41, 42), 18, 30, 41.58, -93.71, ("Ashworth Rd", "Mills Civic Pkwy")),
    City("Ankeny", "des-moines", "Polk", "515", ("50021", "50023"),
         "IA-3", (37, 38, 39), 14, 25, 41.73, -93.60, ("Oralabor Rd", "SE Delaware Ave")),
    City("Urbandale", "des-moines", "Polk", "515", ("50322", "50323"),
         "IA-3", (29, 30), 10, 15, 41.63, -93.71, ("Douglas Pkwy", "Meredith Dr")),
    City("Johnston", "des-moines", "Polk", "515", ("50131",),
         "IA-3", (30, 31), 6, 8, 41.67, -93.70, ("Merle Hay Rd",)),
    City("Altoona", "des-moines", "Polk", "515", ("50009",),
         "IA-3", (48,), 5, 6, 41.65, -93.46, ("8th St SW",)),
    City("Cedar Rapids", "cedar-rapids", "Linn", "319",
         ("52401", "52402", "52403", "52404", "52405", "52411"),
         "IA-2", (74, 75, 76, 77, 78, 79, 80), 48, 120, 41.98, -91.67,
         ("1st Ave NE", "Edgewood Rd NW", "Ellis Blvd NW", "16th Ave SW", "Mount Vernon Rd SE",
          "Johnson Ave NW", "Oakland Rd NE")),
    City("Marion", "cedar-rapids", "Linn", "319", ("52302",),
         "IA-2", (73, 81), 14, 25, 42.03, -91.60, ("7th Ave", "Irish Dr")),
    City("Hiawatha", "cedar-rapids", "Linn", "319", ("52233",),
         "IA-2", (72,), 4, 6, 42.04, -91.68, ("Boyson Rd",)),
    City("Davenport", "davenport", "Scott", "563",
         ("52801", "52802", "52803", "52804", "52806", "52807"),
         "IA-1", (91, 92, 93, 94, 95, 96), 48, 125, 41.52, -90.58,
         ("Brady St", "Kimberly Rd", "Locust St", "Harrison St", "Rockingham Rd",
          "W 3rd St", "Eastern Ave")),
    City("Bettendorf", "davenport", "Scott", "563", ("52722",),
         "IA-1", (97, 98), 14, 25, 41.52, -90.52, ("Middle Rd", "State St")),
    City("Eldridge", "davenport", "Scott", "563", ("52748",),
         "IA-1", (82,), 4, 6, 41.66, -90.58, ("S 1st Ave",)),
    City("Iowa City", "iowa-city", "Johnson", "319", ("52240", "52245", "52246"),
         "IA-1", (85, 86, 87, 88, 89, 90), 40, 110, 41.66, -91.53,
         ("Dubuque St", "Burlington St", "Muscatine Ave", "Rochester Ave", "Melrose Ave",
          "Gilbert St", "Court St")),
    City("Coralville", "iowa-city", "Johnson", "319", ("52241",),
         "IA-1", (89,), 10, 25, 41.68, -91.58, ("5th St", "Holiday Rd")),
    City("North Liberty", "iowa-city", "Johnson", "319", ("52317",),
         "IA-1", (84,), 6, 15, 41.75, -91.60, ("Penn St", "Ranshaw Way")),
    City("Waterloo", "waterloo", "Black Hawk", "319", ("50701", "50702", "50703"),
         "IA-2", (61, 62, 63, 64), 36, 75, 42.49, -92.34,
         ("Ansborough Ave", "Kimball Ave", "Falls Ave", "Logan Ave", "E 4th St",
          "W Ridgeway Ave")),
    City("Cedar Falls", "waterloo", "Black Hawk", "319", ("50613",),
         "IA-2", (59, 60), 14, 30, 42.53, -92.45, ("Main St", "University Ave", "Greenhill Rd")),
    City("Evansdale", "waterloo", "Black Hawk", "319", ("50707",),
         "IA-2", (63,), 3, 5, 42.47, -92.28, ("Lafayette Rd",)),
    City("Ames", None, "Story", "515", ("50010", "50014"),
         "IA-4", (49, 50), 20, 40, 42.03, -93.62, ("Lincoln Way", "Duff Ave")),
    City("Sioux City", None, "Woodbury", "712",
         ("51101", "51103", "51104", "51105", "51106"),
         "IA-4", (1, 2, 3, 4), 30, 40, 42.50, -96.40, ("Gordon Dr", "Hamilton Blvd")),
    City("Mason City", None, "Cerro Gordo", "641", ("50401",),
         "IA-4", (56,), 10, 15, 43.15, -93.20, ("N Federal Ave",)),
    City("Ottumwa", None, "Wapello", "641", ("52501",),
         "IA-1", (25,), 10, 12, 41.02, -92.41, ("Church St", "N Court St")),
    City("Council Bluffs", None, "Pottawattamie", "712", ("51501", "51503"),
         "IA-3", (15, 16), 20, 25, 41.26, -95.86, ("Broadway", "Kanesville Blvd")),
)  # fmt: skip

GENERIC_STREETS = (
    "Main St", "Oak St", "Maple St", "Elm St", "Walnut St", "Park Ave", "2nd Ave", "3rd St",
    "Washington St", "Lincoln Ave", "Prairie View Dr", "Cottonwood Ln", "Willow Dr",
    "Hickory Ln", "Sunset Dr", "Meadow Ln", "Cedar St", "Pleasant St", "Jefferson Ave",
    "River Dr", "Orchard Dr", "Birch St", "Ridge Rd", "Cherry St", "Franklin St", "Hillcrest Dr",
    "Linden Ave", "Spruce St", "Summit St", "Valley Dr", "Woodland Ave", "Country Club Blvd",
)  # fmt: skip

CHAPTERS: tuple[tuple[str, str], ...] = (
    ("des-moines", "Des Moines"),
    ("cedar-rapids", "Cedar Rapids"),
    ("davenport", "Davenport"),
    ("iowa-city", "Iowa City"),
    ("waterloo", "Waterloo"),
)
DORMANT_CHAPTER = "waterloo"
DORMANT_DAYS = 45

# (domain, weight). All under the reserved .example top-level domain, see the module docstring.
EMAIL_DOMAINS: tuple[tuple[str, int], ...] = (
    ("gmail.example", 44), ("yahoo.example", 14), ("hotmail.example", 7),
    ("outlook.example", 7), ("icloud.example", 8), ("aol.example", 3), ("mchsi.example", 6),
    ("uiowa.example", 3), ("iastate.example", 2), ("hy-vee.example", 2),
    ("unitypoint.example", 2), ("q.example", 2),
)  # fmt: skip

TAGS_ISSUES = ("school funding", "rent", "transit", "water quality")
TAG_VOLUNTEER = "volunteer prospect"
TAG_MAJOR_DONOR = "major donor"
TAG_HOST = "host"
ALL_TAGS = (*TAGS_ISSUES, TAG_VOLUNTEER, TAG_MAJOR_DONOR, TAG_HOST)

OCCUPATIONS: tuple[tuple[str, str], ...] = (
    ("Retired teacher", ""), ("Teacher", "Des Moines Public Schools"), ("Nurse", "UnityPoint"),
    ("Farmer", "Self-employed"), ("Student", "University of Iowa"), ("Student", "Iowa State"),
    ("Assembly worker", "John Deere"), ("Machinist", "Whirlpool"), ("Pharmacist", "Hy-Vee"),
    ("Bus driver", "DART"), ("Social worker", "Polk County"), ("Retired", ""),
    ("Insurance analyst", "Principal Financial"), ("Meatpacker", "Tyson Foods"),
    ("Home health aide", ""), ("Pastor", ""), ("Librarian", "Public library"),
    ("Small business owner", "Self-employed"), ("Electrician", "IBEW Local 55"),
    ("Software developer", "Collins Aerospace"), ("Professor", "University of Northern Iowa"),
    ("Paraeducator", "Waterloo Community Schools"), ("Line cook", ""), ("Homemaker", ""),
)  # fmt: skip

PETITIONS: tuple[tuple[str, str], ...] = (
    ("Fully fund Iowa's public schools", "school funding"),
    ("Cap rent hikes and stop no-cause evictions", "rent"),
    ("Save our bus routes", "transit"),
    ("Clean water for every Iowa town", "water quality"),
)
FORMS = ("Volunteer interest form", "Get email updates", "Host a house party")

# Notes and survey comments on the four themes, for the listening features to find.
THEME_NOTES: dict[str, tuple[str, ...]] = {
    "school funding": (
        "{occ}, worried about school funding, wants a yard sign.",
        "Kids' class has 31 students this year; angry about the voucher bill.",
        "Talked about the school funding petition; will bring it to the PTA.",
        "Says the district cut the music program. Wants to testify at the board meeting.",
    ),
    "rent": (
        "Rent went up 18% this year; interested in the tenant union.",
        "Landlord won't fix the heat. Asked about the rent clinic.",
        "{occ}; paying half her income in rent. Would share her story.",
        "Facing a no-cause eviction notice — connected to legal aid.",
    ),
    "transit": (
        "Takes the bus to work; a route cut would cost her the job.",
        "Wants Sunday bus service so she can get to church.",
        "{occ}, can't drive anymore; the bus is how she gets to the doctor.",
        "Asked how to speak at the transit board hearing.",
    ),
    "water quality": (
        "Well water tested high for nitrates; wants to testify.",
        "Worried about the river after the manure spill. Has kids who swim there.",
        "{occ}; lives downstream of a hog confinement. Will host neighbors.",
        "Asked for a water test kit and the clean water petition.",
    ),
}
SURVEY_COMMENTS: dict[str, tuple[str, ...]] = {
    "school funding": (
        "Our schools need real funding, not vouchers.",
        "Teachers are leaving because pay is so low.",
        "My kid's school lost two teachers this year.",
    ),
    "rent": (
        "Rent is out of control in this neighborhood.",
        "We need protections for renters.",
        "Can't afford to stay where I grew up.",
    ),
    "transit": (
        "Buses don't run late enough for second shift.",
        "More bus routes on the east side, please.",
        "Transit matters for seniors who can't drive.",
    ),
    "water quality": (
        "Clean water should be a right in Iowa.",
        "The nitrate levels scare me.",
        "Hold the big operations accountable for runoff.",
    ),
}
LEVELS = ("supporter", "signer", "sharer", "donor", "attendee", "volunteer", "host", "leader")
