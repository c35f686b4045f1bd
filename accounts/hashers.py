from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's recommended parameters (19 MiB, 2 passes, 1 lane).

    Memory-hard, so stronger than PBKDF2 against GPU cracking, and about 20 ms a check instead of PBKDF2's
    ~300 ms here, which keeps login's p99 low under load. Same "argon2" prefix as Django's hasher: hashes made
    with other parameters are upgraded at the member's next login.
    """

    time_cost = 2
    memory_cost = 19456
    parallelism = 1
