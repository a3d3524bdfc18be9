// How to import each export format, condensed from internal/export/IMPORTING.md
// (the full notes, with what each format keeps, are there).
export const importSteps: Record<string, { lms: string; steps: string }> = {
  'qti12-canvas': { lms: 'Canvas', steps: 'Course > Settings > Import Course Content > Content Type "QTI .zip file" > choose the file > Import. The quiz appears under Quizzes (unpublished) with a question bank named after it.' },
  qti21: { lms: 'QTI 2.1 item banks and LMSs', steps: 'Import the .zip wherever an LMS or item bank takes QTI 2.1 packages (Canvas: Import Course Content > QTI .zip file; TAO; Inspera), following that product\'s instructions.' },
  'moodle-xml': { lms: 'Moodle', steps: 'Course > Question bank > Import > "Moodle XML format" > drop the file > Import. The questions land in a category named after the quiz; add them to a quiz from the bank.' },
  gift: { lms: 'Moodle', steps: 'Course > Question bank > Import > "GIFT format" > drop the file > Import. GIFT has no points: every question imports with 1 mark.' },
  aiken: { lms: 'Moodle', steps: 'Course > Question bank > Import > "Aiken format" > drop the file > Import. Single-answer multiple choice only.' },
  'blackboard-tsv': { lms: 'Blackboard Learn', steps: 'Course > Control Panel > Course Tools > Tests, Surveys, and Pools > Tests > open a test > Upload Questions > choose the file, set points per question > Submit.' },
  'brightspace-csv': { lms: 'D2L Brightspace', steps: 'Quizzes > Question Library > Import > Upload a File > choose the file > review > Import All.' },
  'kahoot-xlsx': { lms: 'Kahoot!', steps: 'Kahoot > Create > Kahoot > Import (spreadsheet) > choose the file. Choice and true/false questions with up to 4 answers.' },
  'quizizz-xlsx': { lms: 'Quizizz (Wayground)', steps: 'Quizizz > Create > Quiz > Import from spreadsheet > choose the file. Up to 5 options; matching is left out.' },
  csv: { lms: 'Spreadsheets and scripts', steps: 'Open the CSV in a spreadsheet or read it with a script: one row per question.' },
  html: { lms: 'Print or share', steps: 'Open the page in a browser and print it; not an LMS import.' },
};
