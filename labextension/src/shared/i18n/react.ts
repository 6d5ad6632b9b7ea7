import * as React from 'react';

import { ENGLISH, ITrans } from '.';

/** The translation of the panel being rendered. */
export const TransContext = React.createContext<ITrans>(ENGLISH);

export function useTrans(): ITrans {
  return React.useContext(TransContext);
}
