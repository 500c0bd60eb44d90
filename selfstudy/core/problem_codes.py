"""Every code a `Problem` can carry: its title and how to fix it, in general words.

A problem's own message says what exactly is wrong and where; this table says
what a code means in general. `docs/problems.md` lists the same codes for
users, and `tests/test_problem_codes.py` checks that every code the package
produces is here, that every code here is produced, and that the page lists them.
"""

from __future__ import annotations

CODES: dict[str, tuple[str, str]] = {
    # Rubric files (YAML)
    "yaml-syntax": (
        "The rubric file is not valid YAML",
        "Check indentation, colons and quotes on the line named and the one above it.",
    ),
    "duplicate-key": (
        "A key appears twice in the same block",
        "Keep one of the two and delete the other.",
    ),
    "not-a-mapping": (
        "The rubric file is not a list of keys and values",
        "Start the file with `id:`, `version:` and `title:`, as in rubric-format.md.",
    ),
    "unknown-key": (
        "A key the format does not know",
        "Check its spelling (the message may suggest one), or remove it.",
    ),
    "missing-key": (
        "A required key is missing",
        "Add the key named in the message.",
    ),
    "empty-list": (
        "A list that needs entries is empty",
        "Add at least one entry (a scale needs at least two levels).",
    ),
    "bad-weight": (
        "A weight is zero or negative",
        "Give a weight greater than 0, or leave it out for the default of 1.",
    ),
    "bad-slug": (
        "The rubric id is not a valid id",
        "Use lower-case letters, digits and '-' only, such as 'stem-equity-self-study'.",
    ),
    "wrong-type": (
        "A value of the wrong kind",
        "Write the kind of value the message asks for: text (in quotes), a number, or true/false.",
    ),
    "bad-value": (
        "A value that is not allowed here",
        "Use one of the values the message names.",
    ),
    "bad-show-if": (
        "A show_if rule is incomplete",
        "Give `item:` and exactly one of equals, in, at_least or at_most.",
    ),
    "scale-not-increasing": (
        "Scale levels are not in increasing order",
        "List the levels from lowest value to highest.",
    ),
    "duplicate-label": (
        "Two scale levels share a label",
        "Give every level its own label.",
    ),
    "reserved-label": (
        "A scale label means 'not applicable'",
        "Remove that level and set `allow_na: true` on the scale instead.",
    ),
    "target-not-on-scale": (
        "A target is not a value on the scale",
        "Use one of the scale's values as the target.",
    ),
    "level-not-on-scale": (
        "A level description is for a value not on the scale",
        "Describe only the scale's values.",
    ),
    "duplicate-id": (
        "The same id is used twice",
        "In a rubric, rename one of the two; in a sheet copy, keep one row and delete the other.",
    ),
    "missing-options": (
        "A choice item has no options",
        "Add `options: [First, Second, ...]` to the item.",
    ),
    "unexpected-options": (
        "Options on an item that is not a choice",
        "Remove the options, or make the item a choice or multichoice item.",
    ),
    "unexpected-weight": (
        "A weight on an item that is not scored",
        "Only rating items are scored; remove the weight.",
    ),
    "duplicate-option": (
        "An option is listed twice",
        "Keep each option once.",
    ),
    "show-if-self": (
        "An item's show_if names the item itself",
        "Name an earlier item instead.",
    ),
    "show-if-unknown-item": (
        "A show_if names an item that does not come before it",
        "Name an item that comes earlier in the rubric, spelled as its id.",
    ),
    "show-if-bad-value": (
        "A show_if compares with an answer the item cannot have",
        "Compare with one of that item's options or scale values.",
    ),
    "yaml-alias": (
        "The rubric file uses a YAML alias (`*name`)",
        "Write the value out in full where the alias is, and remove its anchor (`&name`).",
    ),
    "yaml-too-deep": (
        "The rubric file is nested too deeply",
        "Indent only as rubric-format.md shows; a rubric needs about ten levels.",
    ),
    "rubric-too-large": (
        "The rubric file is too large to be a rubric",
        "Check that it is the rubric file, or split it into several rubrics.",
    ),
    "not-a-link": (
        "A resource address that will not become a link",
        "Use a web (https://) or e-mail (mailto:) address, or put the address in the description.",
    ),
    # Self-study files (JSON)
    "json-syntax": (
        "The self-study file is not valid JSON",
        "Use the file as the app or `selfstudy import` wrote it, or fix the place named.",
    ),
    "unknown-format": (
        "The self-study file is in a format this version does not read",
        'The file must say `"format": "selfstudy/1"`.',
    ),
    "json-too-deep": (
        "The self-study file nests lists or objects too deeply",
        "Use the file as the app or `selfstudy import` wrote it; a self-study nests only a "
        "few levels.",
    ),
    "number-too-long": (
        "A number has thousands of digits",
        "Correct the number; no answer or rubric value needs more than a few digits.",
    ),
    "text-too-long": (
        "A text is longer than the 30,000 characters a text may hold",
        "Shorten it; keep a long document elsewhere and name it in the text.",
    ),
    "empty-value": (
        "A value that must not be empty is empty",
        "Fill it in.",
    ),
    "unknown-item": (
        "An answer to an item the rubric does not have",
        "Remove the answer, or correct the item id.",
    ),
    "bad-answer": (
        "An answer the rubric does not allow",
        "Choose a rating on the scale, one of the item's options, or a number, as the item asks.",
    ),
    # Self-studies and sheet copies against their rubric
    "rubric-mismatch": (
        "The self-study or copy is for another rubric",
        "Choose the rubric it names, or compare rounds of the same rubric.",
    ),
    "rubric-version-mismatch": (
        "The self-study or copy is for another version of the rubric",
        "Use the version it names; scores may differ between versions.",
    ),
    "missing-rubric": (
        "A sheet copy does not name its rubric",
        "Choose the rubric yourself, or add the 'Rubric' row back to START HERE.",
    ),
    "rubric-not-found": (
        "No rubric file or rubric with that id was found",
        "Give the path of a rubric file, or one of the known rubric ids.",
    ),
    # Sheet copies (.xlsx, CSV, Google Sheets)
    "missing-tab": (
        "A tab of the copy is missing",
        "Add the tab back from a blank template, with the title the message gives.",
    ),
    "extra-tab": (
        "A tab that is not part of the copy is ignored",
        "Rename it to a dimension title if it holds answers; otherwise leave it.",
    ),
    "duplicate-tab": (
        "Two tabs for the same dimension",
        "Keep one and delete or rename the other.",
    ),
    "missing-program-name": (
        "The program name is missing",
        "Write it in column B of the 'Program name' row on START HERE.",
    ),
    "no-header-row": (
        "A dimension tab has no header row",
        "Add a row with 'ID' and 'Rating' column headings above the items.",
    ),
    "extra-column": (
        "A column that is not part of the copy is ignored",
        "Nothing to do, unless it was meant to be the Rating, Evidence or Notes column.",
    ),
    "duplicate-column": (
        "The same column appears twice",
        "Keep one and rename or delete the other.",
    ),
    "missing-id": (
        "A rating with no item ID next to it",
        "Write the item's ID in the ID column, or clear the rating.",
    ),
    "unknown-id": (
        "An item ID the rubric does not have",
        "Correct the ID from a blank template, or clear the row.",
    ),
    "item-in-other-tab": (
        "An item's row is on another dimension's tab",
        "It is still imported; move the row to its own tab to keep the copy tidy.",
    ),
    "missing-item": (
        "An item has no row, so it is left unanswered",
        "Add a row with the item's ID to answer it.",
    ),
    "bad-rating": (
        "A rating that is not on the scale",
        "Choose one of the scale's ratings (or N/A, when the rubric allows it).",
    ),
    "na-not-allowed": (
        "N/A where the rubric does not allow it",
        "Choose a rating, or clear the cell.",
    ),
    "bad-choice": (
        "An answer that is not one of the item's options",
        "Choose from the options, separated by ';' where several are allowed.",
    ),
    "bad-number": (
        "A number item holds something that is not a number",
        "Write a number such as 120, or clear the cell.",
    ),
    "number-trimmed": (
        "A number was read from a cell that holds more than a number",
        "Check the number read, and write only the number to stop this warning.",
    ),
    "formula-not-read": (
        "A cell holds a formula, which import does not read",
        "Type the value itself, or copy the cell and paste it as a value; the cell counts as "
        "blank until then.",
    ),
    # Files and sources
    "file-too-large": (
        "A file is too large to be what it should be",
        "Check that it is the right file: a sheet copy is at most 20 MB and 10,000 rows by "
        "256 columns a tab.",
    ),
    "unreadable-file": (
        "A file cannot be read",
        "Check that it exists and is the right kind of file; save a workbook again as .xlsx.",
    ),
    "unsupported-source": (
        "Not something a self-study can be read from",
        "Give an .xlsx file, a folder of CSV files (one per tab) or a self-study .json file.",
    ),
    "no-csv-files": (
        "A folder has no CSV files",
        "Put the copy's tabs in the folder as CSV files, one per tab.",
    ),
    "cannot-write": (
        "A file cannot be written",
        "Check that the folder exists and that you may write in it, or choose another.",
    ),
    "file-access": (
        "A file or folder cannot be used",
        "Check that it exists, that you may read and write it and that its disk has space.",
    ),
    "system-refused": (
        "The system refused an operation",
        "Run the command again; if it happens again, report it with the line shown.",
    ),
    "study-not-found": (
        "No self-study file or saved self-study of that name",
        "Give the path of a .json file, or the id of a self-study saved in the app.",
    ),
    "change-not-found": (
        "No change to an answer with that number in the study's history",
        "Take the number from the history (`selfstudy history STUDY_ID`); only a value, "
        "evidence or notes change can be put back.",
    ),
    "no-studies": (
        "No self-study could be read",
        "Fix the problems listed above it, or point to the folder that holds the copies.",
    ),
    "one-copy-at-a-time": (
        "Several copies were uploaded at once",
        "Upload one .xlsx copy, or the CSV files of one copy; for many use `selfstudy import`.",
    ),
    "repeated-round": (
        "Two inputs hold the same round of the same program",
        "The later one is used; remove the other input if that is not the one you meant.",
    ),
    "already-stored": (
        "A self-study of this program and round is already stored",
        "Nothing was saved from the copy; import it with `--update` to update the stored "
        "one, or with `--keep-both` to save another.",
    ),
    "repeated-copy": (
        "Two copies in one import are the same program and round",
        "Neither was saved; import only the one you mean.",
    ),
    "changed-during-import": (
        "An answer was changed in the app while a copy updated it",
        "Nothing was updated from the copy; import it again to see the changes.",
    ),
    "import-stopped": (
        "Saving stopped part-way through an import",
        "The copies reported saved are stored and the others are not; fix the problem "
        "named with it and import the others again.",
    ),
    "too-many-copies": (
        "More copies than one import takes",
        "Import at most 2,000 copies at once; import the others in another go.",
    ),
    "other-program": (
        "The previous round may be another program's",
        "Check that both self-studies are the same program (same program id, or same name).",
    ),
    "later-round": (
        "The previous round looks later than this one",
        "Check the rounds and completion dates, or give the earlier round as the previous one.",
    ),
    # Google Sheets
    "sheets-credentials": (
        "The Google credentials are missing or not usable",
        "Give the service-account JSON key file, downloaded again if it is damaged.",
    ),
    "bad-spreadsheet": (
        "Not a Google Sheet address",
        "Copy the sheet's address from the browser.",
    ),
    "sheets-access": (
        "Google Sheets refused or failed the request",
        "Share the sheet with the service account, check the address, or retry later.",
    ),
    "sheets-bad-answer": (
        "Google Sheets answered in a form that cannot be read",
        "Try again later; if it keeps happening, a proxy or firewall may be answering for Google.",
    ),
    "sheet-too-large": (
        "The Google Sheet is far larger than a sheet copy",
        "Move the other tabs elsewhere and delete the rows, columns or texts that do not belong.",
    ),
    "bad-sync-file": (
        "The record of the last sync is damaged",
        "Delete it; the next sync then asks about every difference.",
    ),
    "stale-edit": (
        "An answer was changed in the app during the sync",
        "Nothing was taken from the sheet; run the sync again.",
    ),
    # The database (SQLite or PostgreSQL)
    "database-setting": (
        "A database setting cannot be used",
        "Correct the setting the line names (`SELFSTUDY_DATABASE_URL`, `SELFSTUDY_DB` or "
        "a timeout), or leave it out to use the default.",
    ),
    "database-unreachable": (
        "The database server cannot be reached",
        "Check that the server is running and that `SELFSTUDY_DATABASE_URL` names its "
        "host and port.",
    ),
    "database-login": (
        "The database server refused the login",
        "Check the user name, password and database name in `SELFSTUDY_DATABASE_URL`.",
    ),
    "database-timeout": (
        "The database did not answer in time",
        "Try again in a moment; if it keeps happening, check the server, or wait longer "
        "with `SELFSTUDY_DB_CONNECT_TIMEOUT` or `SELFSTUDY_DB_STATEMENT_TIMEOUT`.",
    ),
    "database-damaged": (
        "The database file is damaged or is not a database",
        "Put back a backup copy of the file, or choose another file with `SELFSTUDY_DB` "
        "to begin a new database.",
    ),
    "database-access": (
        "The database cannot be opened or written",
        "Let the app write to the database file and its folder (SQLite keeps -wal and "
        "-shm files beside it), or give the database user the right to write.",
    ),
    "database-full": (
        "The disk that holds the database is full",
        "Free some space on that disk, then try again; nothing saved before is lost.",
    ),
    "database-failed": (
        "The database failed",
        "Try again in a moment; if it keeps failing, tell whoever runs the app what the line says.",
    ),
    "database-data": (
        "The database refused the text it was given",
        "Nothing was changed; remove the control characters (such as NUL) from what was "
        "typed or imported, then save again.",
    ),
    "nul-character": (
        "A text holds a NUL character",
        "Remove the NUL character (U+0000, invisible, often left by an export from another "
        "system) from the text the line names, then import or save again.",
    ),
    # Sign-in and access
    "no-access": (
        "You do not have access to this",
        "Ask a network admin, or a member of the program, to invite you with the role you need.",
    ),
    "unknown-person": (
        "No one with that email has access or an invitation",
        "Check the spelling, or invite them first with `selfstudy people add`.",
    ),
    "unknown-program": (
        "No program has that name or id",
        "Use a name or id that `selfstudy programs list` shows.",
    ),
    "bad-grant": (
        "That role cannot be given that way",
        "Give a program member or viewer a program, a facilitator a cohort, and a network "
        "admin neither.",
    ),
    "another-program": (
        "The details name another program",
        "Keep the program's own id and name; a copy of another program is saved by its "
        "members, or by a network admin.",
    ),
    "last-admin": (
        "That is the network's last admin",
        "Make someone else a network admin first, so somebody can still manage people.",
    ),
    "bad-email": (
        "That is not an email address",
        "Write the address the person signs in with, such as name@example.org.",
    ),
    "admin-needed": (
        "A change from the command line must name someone who may make it",
        "Add `--as` with your email (`selfstudy --as you@example.org …`, or set "
        "`SELFSTUDY_AS`): a network admin's (signed in as an admin, invited as one, or listed "
        "in `SELFSTUDY_ADMINS`) for any change; for `import --save`, also that of a "
        "facilitator or program member who has signed in once.",
    ),
    "which-access": (
        "The person holds other access than the one named, or more than one",
        "Name the access to remove with `--role` and its `--program` or `--cohort`, as "
        "`selfstudy people list` shows it, or remove all of it with `--all`.",
    ),
    # Team self-studies
    "team-step": (
        "That is not possible at this step of the team self-study",
        "Do the steps in order: raters rate (and may submit), the lead opens the consensus "
        "step, records the team's ratings, then marks consensus reached.",
    ),
    "not-a-team": (
        "The self-study is not a team self-study",
        "Make it a team self-study first (the Team page's Make this a team self-study button, "
        "or `selfstudy team start`).",
    ),
    "rater-exists": (
        "The team already has a rater of that name",
        "Give another name (add a surname or an initial), or rate as that rater if it is you.",
    ),
    "team-would-lose": (
        "Making the study single again would lose raters' ratings",
        "Only a team whose raters' sheets hold nothing beyond the study's own answers can "
        "become single again; agree the consensus first, or keep it a team study.",
    ),
    "consensus-missing": (
        "Items rated by the team have no consensus rating yet",
        "Record the team's rating for each item the message names (N/A is a rating), then mark "
        "consensus reached again.",
    ),
    "team-copies": (
        "The copies are not one program's round for a team self-study",
        "Import as one team self-study only the raters' copies of one program's same round "
        "and rubric; import the others on their own.",
    ),
    "bad-rater-name": (
        "A rater's name holds a control character",
        "Type the name again without invisible characters.",
    ),
    # Improvement plans
    "bad-record": (
        "A field of an improvement plan, change idea, cycle, measure or data point is not valid",
        "Correct the field the message names: a date as 2026-03-15, a number as 12.5, a title "
        "that is not empty, a status or decision from the list offered.",
    ),
    "record-changed": (
        "Someone changed that field of the plan since you opened it",
        "Read their text (your own is kept in the plan's history), then save yours again if it "
        "should replace it.",
    ),
    "no-record": (
        "No improvement plan, idea, cycle, measure or data point has that id",
        "Use an id that `selfstudy plan list` or `selfstudy plan show` prints; a deleted one "
        "can be restored with `selfstudy plan restore`.",
    ),
    "bad-points-file": (
        "A file of data points is not in the form the import reads",
        "Give a CSV file whose first row names its columns date,value,note (the note may be "
        "left out), then one data point a row, such as 2026-03-15,12,first week.",
    ),
}
