import { Link } from "react-router";
import { EmptyState } from "@/ui/EmptyState";

export default function NotFoundPage() {
  return (
    <EmptyState icon="search" title="Nothing here">
      This page does not exist. <Link className="text-accent-text hover:underline" to="/">Go home</Link>
    </EmptyState>
  );
}
