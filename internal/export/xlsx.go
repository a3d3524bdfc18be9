package export

import (
	"github.com/xuri/excelize/v2"
)

// xlsxCell is one cell of a spreadsheet export: text is written as a string
// cell (never a formula, whatever it starts with), numbers as numbers.
type xlsxCell any

// buildXLSX writes one sheet, named sheet, with rows starting at row 1
// (nil rows are left empty) and the given column widths from column A.
// Document properties are fixed so that the same quiz gives the same bytes.
func buildXLSX(sheet string, rows [][]xlsxCell, widths []float64) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		Created: "2000-01-01T00:00:00Z", Modified: "2000-01-01T00:00:00Z", Creator: "quizflow",
	}); err != nil {
		return nil, err
	}
	for i, w := range widths {
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return nil, err
		}
		if err := f.SetColWidth(sheet, col, col, w); err != nil {
			return nil, err
		}
	}
	for i, row := range rows {
		for j, c := range row {
			if c == nil {
				continue
			}
			cell, err := excelize.CoordinatesToCellName(j+1, i+1)
			if err != nil {
				return nil, err
			}
			switch v := c.(type) {
			case string:
				err = f.SetCellStr(sheet, cell, v)
			default:
				err = f.SetCellValue(sheet, cell, v)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
