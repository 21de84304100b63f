"""The demo's people: invented names, reserved addresses, and phone numbers nobody has.

Every email address is at example.org (reserved for examples, RFC 2606: mail to it goes
nowhere) and every phone number is in the +380 50 000 0xxx block, a Vodafone prefix whose
000 0xxx numbers are plainly made up. Names are common Ukrainian first names and surnames,
put together at random: any likeness to a real person is chance.
"""
import random
from dataclasses import dataclass
from datetime import date

FEMALE = ("Olha", "Iryna", "Nataliia", "Tetiana", "Oksana", "Yuliia", "Svitlana", "Kateryna",
          "Mariia", "Anastasiia", "Viktoriia", "Halyna", "Liudmyla", "Daryna", "Sofiia", "Alina",
          "Khrystyna", "Larysa", "Inna", "Zoriana")
MALE = ("Oleksandr", "Andrii", "Serhii", "Dmytro", "Volodymyr", "Mykola", "Taras", "Bohdan",
        "Ivan", "Yurii", "Oleh", "Maksym", "Vasyl", "Roman", "Petro", "Artem", "Ihor", "Denys")
# Surnames that read the same for women and men.
SURNAMES = ("Kovalchuk", "Bondarenko", "Tkachenko", "Kravchenko", "Oliinyk", "Shevchuk",
            "Polishchuk", "Lysenko", "Marchenko", "Savchenko", "Rudenko", "Moroz", "Pavlenko",
            "Klymenko", "Boiko", "Petrenko", "Kuzmenko", "Melnychuk", "Hnatiuk", "Ponomarenko",
            "Vasylenko", "Tymoshenko", "Levchenko", "Karpenko", "Fedorenko", "Yaremchuk",
            "Dovzhenko", "Honchar", "Zinchenko", "Ostapenko")
EMAIL_DOMAIN = "example.org"
PHONE_BLOCK = "+38050000"  # + four digits: +380 50 000 0xxx


@dataclass(frozen=True)
class Person:
    full_name: str
    email: str
    phone: str
    date_of_birth: date
    sex: str          # "female" / "male" (the intake's answer)
    language: str     # "uk" or "en": the language of their emails and intake

    def details(self):
        """As a booking form sends them."""
        return {"full_name": self.full_name, "email": self.email, "phone": self.phone,
                "date_of_birth": self.date_of_birth.isoformat()}


def invent_people(count, seed):
    """`count` different people, the same ones for the same seed. Born 1958-2003, so adults
    whatever day the demo is built."""
    chooser = random.Random(seed)
    people, names = [], set()
    while len(people) < count:
        sex = chooser.choice(("female", "male"))
        first = chooser.choice(FEMALE if sex == "female" else MALE)
        last = chooser.choice(SURNAMES)
        if (first, last) in names:
            continue
        names.add((first, last))
        number = len(people) + 1
        born = date(chooser.randint(1958, 2003), chooser.randint(1, 12), chooser.randint(1, 28))
        people.append(Person(
            full_name=f"{first} {last}",
            email=f"{first.lower()}.{last.lower()}@{EMAIL_DOMAIN}",
            phone=f"{PHONE_BLOCK}{number:04d}",
            date_of_birth=born, sex=sex,
            language="en" if chooser.random() < 0.15 else "uk"))
    return people


def emergency_contact(person, chooser):
    """Someone to call for `person`: another invented name and number of the block."""
    first = chooser.choice(FEMALE + MALE)
    return (f"{first} {person.full_name.split()[-1]}",
            f"{PHONE_BLOCK}{9000 + chooser.randint(0, 999):04d}")
