// Shapes of the API's JSON (internal/httpapi/openapi.yaml is the spec of record).

export type QuestionType = 'multiple_choice' | 'multiple_answer' | 'true_false' | 'short_answer' | 'fill_in_blank' | 'matching' | 'essay';

export interface User {
  id: string;
  email: string;
  name: string;
  plan: 'free' | 'pro';
  admin?: boolean;
  email_verified?: boolean;
  email_status?: string;
  created_at: string;
}

export interface Session {
  user: User;
  access_token: string;
  expires_in: number;
}

export interface GenerateOptions {
  question_count: number;
  question_types?: QuestionType[];
  difficulty: string;
  language: string;
  instructions?: string;
}

export interface Doc {
  id: string;
  filename: string;
  kind: string;
  size: number;
  status: 'uploaded' | 'extracting' | 'extracted' | 'failed';
  page_count: number;
  word_count: number;
  options: GenerateOptions;
  created_at: string;
}

export interface DocumentText {
  pages: { number: number; text: string }[];
}

export interface Job {
  id: string;
  kind: 'quiz' | 'regenerate' | 'export';
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  stage: string;
  progress: number;
  message?: string;
  error: { code: string; message: string } | null;
  result: { quiz_id?: string; question_id?: string; export_id?: string };
  document_id?: string;
  quiz_id?: string;
  warnings?: string[];
  created_at: string;
  updated_at: string;
}

export interface Option {
  id?: string;
  text: string;
  correct?: boolean;
}

export interface Question {
  id: string;
  type: QuestionType;
  prompt: string;
  options: Option[] | null;
  answers: string[] | null;
  pairs?: { left: string; right: string }[];
  explanation: string;
  source: { page: number; quote: string };
  verified: boolean;
  difficulty?: string;
  bloom_level?: string;
  points?: number;
}

export interface Quiz {
  id: string;
  document_id: string;
  title: string;
  language: string;
  questions: Question[];
  warnings?: string[];
  version: number;
  created_at: string;
  updated_at: string;
}

export interface QuizSummary {
  id: string;
  document_id: string;
  title: string;
  question_count: number;
  version: number;
  created_at: string;
}

export interface Format {
  name: string;
  title: string;
  extension: string;
  content_type: string;
  question_types: QuestionType[];
  description: string;
}

export interface Export {
  id: string;
  quiz_id: string;
  quiz_version: number;
  format: string;
  status: Job['status'];
  job_id: string;
  file_name?: string;
  size: number;
  warnings: string[];
  error: { code: string; message: string } | null;
  download_url?: string;
  created_at: string;
}

export interface ExportCreated {
  export: Export;
  job: Job | null;
  reused: boolean;
}

export interface Plan {
  name: 'free' | 'pro';
  quizzes_per_month: number;
  regenerations_per_month: number;
  max_file_size: number;
  max_pages: number;
  max_questions: number;
}

export interface BillingStatus {
  plan: Plan;
  billing_enabled: boolean;
  subscription_status: string;
  current_period_start: string;
  current_period_end: string;
  cancel_at_period_end: boolean;
  usage: { kind: string; used: number; limit: number }[];
}

export interface Limits {
  plan: string;
  max_file_size: number;
  max_pages: number;
  max_questions: number;
  accepted_types: { kind: string; extensions: string[]; content_types: string[] }[];
}

export interface Share {
  token: string;
  url: string;
  quiz_id: string;
  created_at: string;
}

export interface SharedQuestion {
  id: string;
  type: QuestionType;
  prompt: string;
  points: number;
  options?: { id: string; text: string }[];
  left?: string[];
  right?: string[];
}

export interface SharedQuiz {
  title: string;
  language: string;
  max_score: number;
  questions: SharedQuestion[];
}

export type AnswerValue = string | (string | null)[] | null;

export interface QuestionResult {
  question_id: string;
  type: QuestionType;
  score: number;
  max_score: number;
  correct: boolean;
  status: 'graded' | 'pending_review';
  answer: AnswerValue;
  correct_answer: AnswerValue;
  explanation: string;
}

export interface Score {
  score: number;
  max_score: number;
  results: QuestionResult[];
}

export interface Attempt extends Score {
  attempt_id: string;
  quiz_id: string;
  name: string;
  pending_review: number;
  created_at: string;
}

export interface AttemptList {
  attempts: Attempt[];
  next_cursor: string;
}

export interface APIKey {
  id: string;
  name: string;
  scopes: string[];
  prefix: string;
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

export interface NewAPIKey extends APIKey {
  key: string;
}

export interface Notifications {
  quiz_ready?: boolean;
  quiz_failed?: boolean;
  export_ready?: boolean;
  regeneration_failed?: boolean;
}
