"""Newswire sentence templates (own wording, CC0): `{S}`/`{O}` are the fact's subject and object."""
from __future__ import annotations

FACT_TEMPLATES = {
    "country": [
        "{S} , in {O} , reported record visitor numbers this year .",
        "Officials in {S} , {O} , said the roads would reopen on Monday .",
        "The summit will be held in {S} in {O} next month .",
    ],
    "in": [
        "Heavy rain hit {S} in {O} on Tuesday .",
        "Police in {S} , {O} , arrested two men after the protest .",
        "Local elections in {S} drew attention across {O} .",
    ],
    "capital": [
        "The government of {S} met in {O} on Thursday .",
        "{O} , the capital of {S} , was calm on Sunday .",
        "Diplomats in {O} said {S} would sign the agreement .",
    ],
    "born": [
        "{S} was born in {O} .",
        "{S} grew up in {O} before moving abroad .",
        "Born in {O} , {S} started young .",
    ],
    "died": [
        "{S} died in {O} .",
        "{S} spent the final days in {O} , records show .",
    ],
    "lives": [
        "{S} , who lives in {O} , declined to comment .",
        "{S} returned to {O} on Friday .",
        "{S} has a home in {O} .",
    ],
    "citizen": [
        "{S} is a citizen of {O} .",
        "{O} 's {S} welcomed the decision .",
        "{S} travelled on a passport issued by {O} .",
    ],
    "employer": [
        "{S} , who works for {O} , spoke to reporters .",
        "{O} said {S} would lead the new unit .",
        "{S} told {O} staff that sales had risen .",
    ],
    "team": [
        "{S} scored twice for {O} on Saturday .",
        "{O} said {S} would miss the next match with an injury .",
        "{S} signed a new contract with {O} .",
    ],
    "member": [
        "{S} of {O} played to a full house .",
        "{S} recorded a new song with {O} .",
    ],
    "founder": [
        "{S} was founded by {O} .",
        "{O} , who founded {S} , spoke at the annual meeting .",
        "{O} set up {S} many years ago .",
    ],
    "hq": [
        "{S} , based in {O} , reported higher quarterly profits .",
        "{S} said from its head office in {O} that it would hire more staff .",
        "{S} opened a new office near its base in {O} .",
    ],
    "formed": [
        "{S} was set up in {O} .",
        "{S} traces its roots to {O} .",
    ],
    "killed": [
        "{S} shot {O} .",
        "{O} was killed by {S} .",
        "Historians still debate why {S} killed {O} .",
    ],
    "child": [
        "{S} and {O} , a child of the family , attended the ceremony .",
        "{S} was joined by {O} at the opening .",
    ],
}

HEADLINES = {
    "sport": ["SPORT - {S} STAY IN CONTENTION .", "SOCCER - {S} BACK IN FORM .", "{S} CELEBRATE WIN ."],
    "business": ["BUSINESS - {S} SHARES RISE .", "{S} REPORTS RESULTS .", "MARKETS - {S} IN FOCUS ."],
    "general": ["{S} MAKES HEADLINES .", "FOCUS - {S} .", "{S} IN THE NEWS AGAIN ."],
}

DATELINE = "{C} {DATE}"

NME_TEMPLATES = [
    "{N} , a spokesman for the group , declined to comment .",
    "Analyst {N} said the outcome was expected .",
    "{N} , a resident of {P} , said people were surprised .",
    "The statement was issued by {G} on Wednesday .",
    "{N} of {G} said the talks would continue .",
]

PLAIN_SENTENCES = [
    "The figures were not immediately available .",
    "Further details were expected later in the week .",
    "No other information was given .",
]

NME_PEOPLE = [
    "Peter Halloway", "Maria Osterlund", "Kwame Addo-Brant", "Julien Marchetti", "Ana Torrevieja",
    "Dmitri Solovko", "Hannah Ferrow", "Rafael Quintela", "Sofia Brandvold", "Ivan Petrakis",
    "Greta Lindhout", "Tomas Okonkwo-Reyes", "Ellen Vasquez-Moor", "Yusuf Karadeniz", "Claire Dunmore",
]
NME_PLACES = ["Port Hallow", "Elmsworth", "Vardenfeld", "San Telmo del Rio", "Brackwater", "Nordhavn Ridge", "Lake Carrow"]
NME_ORGS = ["Halloway Capital", "Brackwater Mining", "Vardenfeld Group", "Northgate Analytics", "Carrow Shipping"]
