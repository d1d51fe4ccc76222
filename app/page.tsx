import { redirect } from 'next/navigation';

/** The export history is the home page. */
export default function HomePage() {
  redirect('/exports');
}
