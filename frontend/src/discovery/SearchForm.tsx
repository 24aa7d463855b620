/** The search box: a role="search" form holding a magnifier icon and an input labelled "Search". */
import { type FormEvent, type InputHTMLAttributes, type ReactNode, type Ref } from "react";
import { Icon } from "../components/Icon";

type SearchFormProps = Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "className" | "type" | "onSubmit" | "children"> & {
  /** The input's id. */
  id: string;
  /** Classes of the form besides "search-form". */
  className?: string;
  onSubmit: (event: FormEvent<HTMLFormElement>) => void;
  inputRef?: Ref<HTMLInputElement>;
  /** Shown after the input, e.g. a clear button. */
  children?: ReactNode;
};

export function SearchForm({ id, className, onSubmit, inputRef, children, ...input }: SearchFormProps) {
  return (
    <form className={className ? `search-form ${className}` : "search-form"} role="search" onSubmit={onSubmit}>
      <label htmlFor={id} className="visually-hidden">
        Search
      </label>
      <span className="search-glyph" aria-hidden="true">
        <Icon name="search" size={16} />
      </span>
      <input
        ref={inputRef}
        id={id}
        className="search-input"
        type="search"
        placeholder="Search"
        autoComplete="off"
        {...input}
      />
      {children}
    </form>
  );
}
