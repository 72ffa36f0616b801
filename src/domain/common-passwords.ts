/**
 * Some 200 of the most common passwords (from the public breach-corpus top
 * lists: SecLists' 10-million top 1000, NCSC's "100,000 Pwned Passwords",
 * NordPass yearly lists), lower-cased. RATS step 7 and DESIGN.md §3 ask for a
 * built-in list; `checkPassword` compares case-insensitively and also with
 * trailing digits and symbols stripped, so `Password123!` is caught by
 * `password`. Kept short on purpose: the length and character-class rules do
 * the rest, and a site that wants a large list can check one in a hook.
 */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set([
  '123456', '123456789', '12345678', '12345', '1234567', '1234567890', '123123', '111111', '000000', '1234',
  '123321', '654321', '666666', '121212', '112233', '7777777', '987654321', '11111111', '88888888', '1q2w3e4r',
  '1q2w3e', '1q2w3e4r5t', 'qwerty', 'qwerty123', 'qwertyuiop', 'qwe123', 'qazwsx', '1qaz2wsx', 'zaq12wsx', 'asdfgh',
  'asdfghjkl', 'asdf', 'zxcvbnm', 'zxcvbn', 'azerty', 'qwertz', 'abc123', 'abcd1234', 'a1b2c3', 'aa123456',
  'password', 'password1', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'pass', 'pass123', 'passwort', 'motdepasse', 'contraseña',
  'contrasena', 'senha', 'parola', 'hasło', 'haslo', 'salasana', 'wachtwoord', 'lozinka', 'iloveyou', 'iloveu',
  'loveyou', 'lovely', 'love', 'letmein', 'welcome', 'welcome1', 'admin', 'administrator', 'root', 'toor',
  'changeme', 'default', 'guest', 'test', 'test123', 'testing', 'user', 'login', 'secret', 'master',
  'access', 'trustno1', 'whatever', 'nothing', 'unknown', 'monkey', 'dragon', 'shadow', 'sunshine', 'princess',
  'football', 'baseball', 'basketball', 'soccer', 'hockey', 'superman', 'batman', 'spiderman', 'pokemon', 'starwars',
  'michael', 'jennifer', 'jordan', 'michelle', 'daniel', 'jessica', 'charlie', 'thomas', 'robert', 'andrew',
  'joshua', 'matthew', 'ashley', 'anthony', 'george', 'hannah', 'nicole', 'maggie', 'ginger', 'hunter',
  'buster', 'tigger', 'pepper', 'summer', 'winter', 'freedom', 'flower', 'cookie', 'chocolate', 'cheese',
  'banana', 'orange', 'purple', 'silver', 'golden', 'diamond', 'mustang', 'harley', 'ferrari', 'corvette',
  'killer', 'hello', 'hello123', 'hi', 'matrix', 'computer', 'internet', 'samsung', 'google', 'apple',
  'linux', 'ubuntu', 'debian', 'windows', 'microsoft', 'qwerty1', 'azerty123', 'aaaaaa', 'abcdef', 'abcdefg',
  'abcdefgh', 'asdasd', 'asd123', 'zxc123', 'qweqwe', 'q1w2e3r4', 'q1w2e3r4t5', 'qwer1234', '1qazxsw2', '!qaz2wsx',
  'mypassword', 'secret123', 'passpass', 'loveme', 'blink182', 'fuckyou', 'fuckoff', 'asshole', 'bitch', 'sexy',
  'jesus', 'angel', 'blessed', 'family', 'forever', 'friends', 'babygirl', 'lovers', 'sweety', 'sweetheart',
  'liverpool', 'arsenal', 'chelsea', 'barcelona', 'juventus', 'yankees', 'cowboys', 'eagles', 'lakers', 'steelers',
  'zaq1zaq1', 'qazxsw', 'solo', 'biteme', 'ranger', 'thunder', 'jordan23', 'michael1', 'charlie1', 'letmein1',
  'student', 'teacher', 'school', 'college', 'university', 'summer2024', 'spring', 'autumn', 'monday', 'friday',
]);
